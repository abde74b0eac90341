import { catalogCoverage, heldOutRank, hitRatioAt, ndcgAt, topK } from "./metrics.js";
import type { TrainedModel } from "./evaluated-model.js";
import type { EvaluationData } from "./protocol.js";

/** The measured quality of one trained model. */
export interface ModelMetrics {
  /** Evaluated users. */
  readonly users: number;
  /** Mean hit ratio at k over the users, in [0, 1]. */
  readonly hitRatio: number;
  /** Mean NDCG at k over the users, in [0, 1]. */
  readonly ndcg: number;
  /**
   * Catalog coverage of the top k: distinct items in the users' top-k lists over the whole
   * catalog minus their training items, ÷ catalog size; undefined when not measured.
   */
  readonly coverage?: number | undefined;
  /** Wall-clock time of scoring the test candidates, in ms. */
  readonly scoringMs: number;
  /** Wall-clock time of the full-catalog ranking for coverage, in ms (0 when not measured). */
  readonly coverageMs: number;
}

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** The cut-off k of HR@k, NDCG@k and coverage (default 10). */
  readonly k?: number;
  /** Also rank the whole catalog per user for coverage (default true; the slow part). */
  readonly coverage?: boolean;
}

/**
 * Scores each test case's held-out item and negatives, ranks the held-out item with ties counted
 * against it ({@link heldOutRank}) and averages HR@k and NDCG@k over the users; then, optionally,
 * ranks every catalog item the user did not train on and measures the catalog coverage of the
 * top k (ties broken by item id order).
 *
 * @param model - the trained model.
 * @param data - the evaluation data.
 * @param options - k and whether to measure coverage.
 */
export async function evaluateModel(model: TrainedModel, data: EvaluationData, options: EvaluateOptions = {}): Promise<ModelMetrics> {
  const k = options.k ?? 10;
  let hits = 0;
  let ndcg = 0;
  const started = performance.now();
  for (const c of data.cases) {
    const items = new Int32Array(c.negatives.length + 1);
    items[0] = c.heldOut;
    items.set(c.negatives, 1);
    const scores = await model.scorer.score(c.user, items);
    const rank = heldOutRank(scores[0]!, scores.subarray(1));
    hits += hitRatioAt(rank, k);
    ndcg += ndcgAt(rank, k);
  }
  const scoringMs = performance.now() - started;
  const users = data.cases.length;

  let coverage: number | undefined;
  let coverageMs = 0;
  if (options.coverage ?? true) {
    const coverageStarted = performance.now();
    const lists: number[][] = [];
    const itemCount = data.itemIds.length;
    for (const c of data.cases) {
      const trained = new Set(data.trainItems[c.user]);
      const items = new Int32Array(itemCount - trained.size);
      let n = 0;
      for (let i = 0; i < itemCount; i++) if (!trained.has(i)) items[n++] = i;
      const scores = await model.scorer.score(c.user, items);
      lists.push(topK(scores, k).map((p) => items[p]!));
    }
    coverage = catalogCoverage(lists, itemCount);
    coverageMs = performance.now() - coverageStarted;
  }
  return {
    users,
    hitRatio: users > 0 ? hits / users : 0,
    ndcg: users > 0 ? ndcg / users : 0,
    coverage,
    scoringMs,
    coverageMs,
  };
}
