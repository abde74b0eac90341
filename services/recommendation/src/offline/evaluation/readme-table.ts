import type { EvaluationReport, ModelResult } from "./report.js";
import { alignTable, formatDuration } from "./report.js";

/** The README's evaluation table sits between these two lines (the lines themselves stay). */
export const README_TABLE_START = "<!-- eval-table:start (npm run eval -- --readme; do not edit by hand) -->";
/** See {@link README_TABLE_START}. */
export const README_TABLE_END = "<!-- eval-table:end -->";

/**
 * What `npm run eval -- --readme` measures and commits (docs/evaluation/ml-latest-small.json): the
 * same models under three evaluations, all full ranking, one seed.
 */
export interface ReadmeEvaluation {
  /** The command that produced it. */
  readonly command: string;
  /** Where it ran: CPU model, logical CPUs, memory in GiB, Node version. */
  readonly machine: { readonly cpu: string; readonly cpus: number; readonly memoryGiB: number; readonly node: string };
  /** The seed of every run. */
  readonly seed: number;
  /** Leave-one-out, validation split: each user's second-latest interaction; where defaults are chosen. */
  readonly validation: EvaluationReport;
  /** Leave-one-out, test split: each user's latest interaction; reported, never tuned on. */
  readonly test: EvaluationReport;
  /** The time-based protocol: a global cut by timestamp. */
  readonly time: EvaluationReport;
}

/**
 * Renders the README table: one row per model with validation HR@10 / NDCG@10, test HR@10,
 * NDCG@10 and Recall@20 (each ± its standard error), test coverage@10, the time-based protocol's
 * HR@10 / NDCG@10 / Recall@20, and the test run's training time.
 *
 * @param e - the three runs.
 * @returns a GitHub Markdown table and a line naming the protocols' sizes.
 */
export function formatReadmeTable(e: ReadmeEvaluation): string {
  const byModel = (r: EvaluationReport) => new Map(r.results.map((x) => [x.model, x] as const));
  const validation = byModel(e.validation);
  const time = byModel(e.time);
  const pm = (mean: number | undefined, se: number | undefined) => (mean === undefined ? "–" : `${mean.toFixed(3)} ± ${(se ?? 0).toFixed(3)}`);
  const plain = (r: ModelResult | undefined, key: "hitRatio" | "ndcg" | "recall") => (r?.[key] === undefined ? "–" : r[key]!.toFixed(3));
  const header = [
    "model",
    "validation HR@10",
    "validation NDCG@10",
    "test HR@10",
    "test NDCG@10",
    "test Recall@20",
    "test coverage@10",
    "time-based HR@10",
    "time-based NDCG@10",
    "time-based Recall@20",
    "training (test)",
  ];
  const rows = e.test.results.map((r) => [
    r.label,
    plain(validation.get(r.model), "hitRatio"),
    plain(validation.get(r.model), "ndcg"),
    pm(r.hitRatio, r.hitRatioSe),
    pm(r.ndcg, r.ndcgSe),
    pm(r.recall, r.recallSe),
    r.coverage === undefined ? "–" : `${(r.coverage * 100).toFixed(1)}%`,
    plain(time.get(r.model), "hitRatio"),
    plain(time.get(r.model), "ndcg"),
    plain(time.get(r.model), "recall"),
    formatDuration(r.trainingMs) + (r.epochs !== undefined ? ` (${r.epochs} ep)` : ""),
  ]);
  const t = e.time.protocol;
  const sizes =
    `Validation: ${e.validation.protocol.evaluatedUsers} users, ${e.validation.dataset.trainInteractions} training interactions; ` +
    `test: ${e.test.protocol.evaluatedUsers} users, ${e.test.dataset.trainInteractions} training interactions; ` +
    `time-based: cut at ${t.cut ?? "?"}, ${t.evaluatedUsers} users with ${t.heldOutItems} held-out items, ${e.time.dataset.trainInteractions} training interactions. ` +
    `Seed ${e.seed}; \`${e.command}\` on ${e.machine.cpu} (${e.machine.cpus} CPUs, ${e.machine.memoryGiB} GiB), Node ${e.machine.node}.`;
  return `${alignTable(header, rows, header.map((_, i) => i > 0), true)}\n\n${sizes}`;
}

/**
 * Replaces what lies between the README's table markers with `table`.
 *
 * @param readme - the README's text.
 * @param table - the new table.
 * @returns the new README text.
 * @throws Error when the markers are missing or out of order.
 */
export function replaceReadmeTable(readme: string, table: string): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md: the lines ${README_TABLE_START} and ${README_TABLE_END} must frame the evaluation table`);
  return `${readme.slice(0, start + README_TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
