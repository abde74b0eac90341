import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The console's folder (this file's). */
const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * Vite build of the web console (services/console): `index.html` and `src/` → `dist/`, content-hashed
 * files under `dist/assets/`. JSX is compiled for Preact (automatic runtime, `preact/jsx-runtime`),
 * as services/console/tsconfig.json declares for the type checker. No inline script or style is
 * emitted (Envoy's Content-Security-Policy allows none). `npm run build:console` runs it (scripts/console/build.ts, into a folder of its own that then replaces dist/);
 * `npm start` runs it when the sources are newer than the build (scripts/console/build.ts).
 */
export default defineConfig({
  root: ROOT,
  base: "/",
  publicDir: path.join(ROOT, "public"),
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: path.join(ROOT, "dist"),
    emptyOutDir: true,
    target: "es2022",
    // The module-preload polyfill would be a script of its own; every browser the console supports
    // has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
