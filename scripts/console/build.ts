import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
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
 * src/, public/). Takes about a second when it builds.
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
  await runCommand([vite, "build", "--config", path.join(CONSOLE_DIR, "vite.config.ts")]);
  return { built: true, distDir: CONSOLE_DIST };
}
