import type { ModelMetrics } from "./evaluate.js";

/** One model's line of the report. */
export interface ModelResult extends ModelMetrics {
  /** Its `--models` name. */
  readonly model: string;
  /** Its table label. */
  readonly label: string;
  /** Wall-clock training time, in ms. */
  readonly trainingMs: number;
  /** Epochs trained, for iterative models. */
  readonly epochs?: number | undefined;
  /** How it was built. */
  readonly notes?: string | undefined;
}

/** Everything one evaluation run measured; what `npm run eval --out FILE` writes as JSON. */
export interface EvaluationReport {
  /** The data set. */
  readonly dataset: {
    /** The MovieLens directory read. */
    readonly dir: string;
    /** Users with interactions. */
    readonly users: number;
    /** Items in the universe (catalog ∪ interacted products), the coverage denominator. */
    readonly items: number;
    /** Interactions read. */
    readonly interactions: number;
    /** Training interactions after the split. */
    readonly trainInteractions: number;
  };
  /** The protocol's parameters. */
  readonly protocol: {
    /** "leave-one-out (He et al., WWW 2017)" or "time-based, global cut at the 0.8 quantile of timestamps". */
    readonly name: string;
    /** The split reported: "test" or "validation". */
    readonly split: string;
    /** "full" ranking or "sampled". */
    readonly ranking: string;
    /** The seed of the negative sampling (and user sample). */
    readonly seed: number;
    /** Negatives per user (0 under full ranking). */
    readonly negatives: number;
    /** Cut-off k of HR and NDCG. */
    readonly k: number;
    /** Cut-off of Recall. */
    readonly recallK: number;
    /** Users evaluated. */
    readonly evaluatedUsers: number;
    /** Held-out items over all evaluated users (one per user under leave-one-out). */
    readonly heldOutItems: number;
    /** The time-based protocol's cut (ISO 8601), absent under leave-one-out. */
    readonly cut?: string;
    /** How ties are ranked. */
    readonly ties: string;
  };
  /** One entry per model, in the order run. */
  readonly results: readonly ModelResult[];
  /** Wall-clock time of the whole run, in ms. */
  readonly totalMs: number;
  /** Where it ran, since timings depend on it. */
  readonly environment: {
    /** Node version. */
    readonly node: string;
    /** Logical CPUs. */
    readonly cpus: number;
    /** ISO time the run started. */
    readonly startedAt: string;
  };
}

/**
 * Formats a duration for humans: "850 ms", "3.4 s", "2 min 05 s".
 *
 * @param ms - milliseconds.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/**
 * Lays out rows as a plain-text table with aligned columns (text left, numbers right), a header
 * and a rule; the same text is valid GitHub Markdown when `markdown` is true.
 *
 * @param header - column titles.
 * @param rows - cells, as strings.
 * @param rightAligned - per column, whether to align right.
 * @param markdown - emit a Markdown table (pipes) instead of plain columns.
 */
export function alignTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly boolean[], markdown = false): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const cell = (text: string, c: number) => (rightAligned[c] ? text.padStart(widths[c]!) : text.padEnd(widths[c]!));
  if (markdown) {
    const line = (cells: readonly string[]) => `| ${cells.map((t, c) => cell(t, c)).join(" | ")} |`;
    const rule = `|${widths.map((w, c) => (rightAligned[c] ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
    return [line(header), rule, ...rows.map(line)].join("\n");
  }
  const line = (cells: readonly string[]) => cells.map((t, c) => cell(t, c)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * The results side by side: HR@k, NDCG@k and Recall (full ranking) each ± its standard error,
 * catalog coverage of the top k (share and item count), training time and evaluation time.
 *
 * @param report - the run's report.
 * @param markdown - emit a Markdown table.
 */
export function formatResultsTable(report: EvaluationReport, markdown = false): string {
  const { k, recallK } = report.protocol;
  const withError = (mean: number, se: number) => `${mean.toFixed(3)} ± ${se.toFixed(3)}`;
  const header = ["model", `HR@${k}`, `NDCG@${k}`, `Recall@${recallK}`, `coverage@${k}`, "training", "eval time"];
  const rows = report.results.map((r) => [
    r.label,
    withError(r.hitRatio, r.hitRatioSe),
    withError(r.ndcg, r.ndcgSe),
    r.recall === undefined ? "–" : withError(r.recall, r.recallSe ?? 0),
    r.coverage === undefined ? "–" : `${(r.coverage * 100).toFixed(1)}% (${Math.round(r.coverage * report.dataset.items)})`,
    formatDuration(r.trainingMs) + (r.epochs !== undefined ? ` (${r.epochs} ep)` : ""),
    formatDuration(r.scoringMs + r.coverageMs),
  ]);
  return alignTable(header, rows, [false, true, true, true, true, true, true], markdown);
}

/**
 * A one-paragraph summary of the protocol for the printed output.
 *
 * @param report - the run's report.
 */
export function formatProtocol(report: EvaluationReport): string {
  const { dataset: d, protocol: p } = report;
  const ranked =
    p.ranking === "sampled"
      ? `held-out item ranked among ${p.negatives} sampled negatives (seed ${p.seed})`
      : "held-out items ranked against every item the user did not train on (full ranking)";
  return (
    `${p.name}${p.cut ? ` (${p.cut})` : ""}, ${p.split} split: ${d.interactions} interactions, ${d.users} users, ${d.items} items (${d.dir}); ` +
    `${d.trainInteractions} training interactions; ${p.evaluatedUsers} users evaluated on ${p.heldOutItems} held-out items, ${ranked}, ${p.ties}; ` +
    `each figure ± its standard error over users`
  );
}
