/**
 * The console's first-load JavaScript, gzipped: `npm run check:console-size` builds the console
 * (Vite) and prints the figure, exiting 1 when it is over {@link FIRST_LOAD_JS_BUDGET_BYTES}.
 * test/browser/console.test.ts asserts the same budget.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { ensureConsoleBuilt } from "./build.js";

/** Budget of the JavaScript a first load fetches, gzipped (issue 12: under 300 KB). */
export const FIRST_LOAD_JS_BUDGET_BYTES = 300 * 1024;

/** What {@link measureFirstLoadJs} found. */
export interface FirstLoadJs {
  /** Each script a first load fetches: its path under the build folder, raw and gzipped bytes. */
  readonly files: readonly { readonly file: string; readonly bytes: number; readonly gzipBytes: number }[];
  /** The sum of the gzipped sizes, in bytes (gzip level 9, as a server would send it). */
  readonly gzipBytes: number;
}

/**
 * Measures the scripts that `index.html` loads (`<script src>` and `<link rel="modulepreload">`)
 * and, transitively, the chunks they import statically (`import … from "./x.js"`); dynamically
 * imported chunks are not part of a first load.
 *
 * @param distDir - a `vite build` output folder (index.html, assets/).
 * @throws Error when index.html or a referenced script is missing.
 */
export function measureFirstLoadJs(distDir: string): FirstLoadJs {
  const html = readFileSync(path.join(distDir, "index.html"), "utf8");
  const queue = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!.replace(/^\//, ""));
  const seen = new Set<string>();
  const files: { file: string; bytes: number; gzipBytes: number }[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(path.join(distDir, file));
    files.push({ file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
    for (const m of code.toString("utf8").matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+\.js)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith(".") || spec.startsWith("/")) queue.push(spec.startsWith("/") ? spec.slice(1) : path.posix.join(path.posix.dirname(file), spec));
    }
  }
  return { files, gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { distDir } = await ensureConsoleBuilt({ force: true });
  const measured = measureFirstLoadJs(distDir);
  for (const f of measured.files) console.log(`${f.file}: ${(f.bytes / 1024).toFixed(1)} KB, ${(f.gzipBytes / 1024).toFixed(1)} KB gzipped`);
  const ok = measured.gzipBytes <= FIRST_LOAD_JS_BUDGET_BYTES;
  console.log(`first-load JavaScript: ${(measured.gzipBytes / 1024).toFixed(1)} KB gzipped (budget ${FIRST_LOAD_JS_BUDGET_BYTES / 1024} KB): ${ok ? "ok" : "OVER BUDGET"}`);
  process.exit(ok ? 0 : 1);
}
