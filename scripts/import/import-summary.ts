import { formatMs } from "../import-progress.js";
import type { ImportSummary } from "./run-import.js";

/**
 * Exit codes of `npm run import -- products|users|events|movielens`:
 * - 0: every row was stored or already stored identically;
 * - 1: some rows were rejected (the summary names the first ones by line and field);
 * - 2: bad usage or input: an unknown option or field, an unreadable file or mapping, a CSV that
 *   cannot be parsed, a refused token, a whole batch refused;
 * - 3: the target is unavailable or did not answer within the deadline (the checkpoint is kept:
 *   running the same command again continues after the last acknowledged line);
 * - 4: stopped by `--max-batches` before the end of the file (the checkpoint is kept).
 */
export const EXIT_CODES = { ok: 0, rejected: 1, usage: 2, unavailable: 3, stopped: 4 } as const;

/**
 * The exit code of finished imports: {@link EXIT_CODES}.
 *
 * @param summaries - the imports run.
 */
export function exitCodeOf(summaries: readonly ImportSummary[]): number {
  if (summaries.some((s) => s.counts.rejected > 0)) return EXIT_CODES.rejected;
  if (summaries.some((s) => !s.complete)) return EXIT_CODES.stopped;
  return EXIT_CODES.ok;
}

/**
 * Formats a summary for people: the counts per outcome, the rate, and the first errors by line, for
 * example
 * ```
 * products docs/samples/ecommerce/products.csv → 127.0.0.1:50052
 *   read      3000 rows
 *   accepted  2998 (2998 created, 0 updated)
 *   unchanged 0
 *   rejected  2
 *   line 12: price: "12,99" is not a decimal amount like 12.99
 * ```
 *
 * @param summary - what one import did.
 * @returns the lines, newline-terminated.
 */
export function formatSummary(summary: ImportSummary): string {
  const c = summary.counts;
  const rate = summary.elapsedMs > 0 ? Math.round((summary.readThisRun * 1000) / summary.elapsedMs) : 0;
  const lines = [
    `${summary.kind} ${summary.file} → ${summary.target}${summary.resumedAfterLine > 0 ? ` (resumed after line ${summary.resumedAfterLine})` : ""}`,
    `  read      ${c.read} rows`,
    `  accepted  ${c.created + c.updated} (${c.created} created, ${c.updated} updated)`,
    `  unchanged ${c.unchanged}${summary.kind === "events" ? " (duplicate event ids)" : ""}`,
    `  rejected  ${c.rejected}`,
    `  time      ${formatMs(summary.elapsedMs)} for ${summary.batches} batches (${rate} rows/s)`,
  ];
  if (!summary.complete) lines.push(`  stopped after line ${summary.lastLine}: run the same command again to continue`);
  if (summary.errors.length > 0) {
    lines.push(`  first ${summary.errors.length} of ${c.rejected} rejected rows:`);
    for (const e of summary.errors) lines.push(`    line ${e.line}: ${e.field ? `${e.field}: ` : ""}${e.message}`);
  }
  return `${lines.join("\n")}\n`;
}
