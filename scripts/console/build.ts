import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runCommand } from "../infra/managed-process.js";
import { REPO_ROOT } from "../infra/paths.js";

/** The console's folder: index.html, src/, public/ and vite.config.ts. */
export const CONSOLE_DIR = path.join(REPO_ROOT, "services", "console");

/** Where `vite build` writes the console. */
export const CONSOLE_DIST = path.join(CONSOLE_DIR, "dist");

/** The files whose change makes the build stale. */
const SOURCES = ["index.html", "vite.config.ts", "tsconfig.json", "src", "public"];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Builds the console with Vite (`npm run build:console`: services/console → services/console/dist)
 * unless `dist/index.html` is newer than every source (index.html, vite.config.ts, tsconfig.json,
 * src/, public/). Takes about a second when it builds. The build goes to a folder of its own
 * (`dist.build-<pid>`) that then replaces `dist`, so two builds at once (two meshes starting) never
 * empty each other's output, and a running file server sees `dist` only whole (or, for the instant
 * of the swap, missing: it answers 503 then).
 *
 * @param options - `force`: build even when the output is fresh.
 * @returns whether it built, and the output folder.
 * @throws Error with Vite's output when the build fails.
 */
export async function ensureConsoleBuilt(options: { force?: boolean } = {}): Promise<{ built: boolean; distDir: string }> {
  const index = path.join(CONSOLE_DIST, "index.html");
  const newestSource = Math.max(...SOURCES.map((s) => newestMtime(path.join(CONSOLE_DIR, s))));
  if (options.force !== true && existsSync(index) && statSync(index).mtimeMs >= newestSource) return { built: false, distDir: CONSOLE_DIST };
  const vite = path.join(REPO_ROOT, "node_modules", ".bin", "vite");
  const out = `${CONSOLE_DIST}.build-${process.pid}`;
  try {
    // NODE_ENV=production whoever builds: under vitest NODE_ENV is "test", and Vite then builds the
    // development JSX runtime (source locations in every element), a bigger bundle than npm start serves.
    await runCommand([vite, "build", "--config", path.join(CONSOLE_DIR, "vite.config.ts"), "--outDir", out, "--emptyOutDir"], { ...process.env, NODE_ENV: "production" });
    rmSync(CONSOLE_DIST, { recursive: true, force: true });
    try {
      renameSync(out, CONSOLE_DIST);
    } catch (err) {
      // Another build swapped its output in between: it is built from the same sources.
      if (!existsSync(path.join(CONSOLE_DIST, "index.html"))) throw err;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return { built: true, distDir: CONSOLE_DIST };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await ensureConsoleBuilt({ force: true });
  console.log(`built the console into ${path.relative(process.cwd(), CONSOLE_DIST)}`);
}
