import { catalogCoverage, heldOutRank, hitRatioAt, meanWithError, ndcgAt, rankingMetrics, relevantRanks, topK } from "./metrics.js";
import type { TrainedModel } from "./evaluated-model.js";
import type { EvaluationData } from "./protocol.js";

/**
 * How a held-out item is ranked:
 * - "full": against every item the user did not interact with in training (the held-out items
 *   among them) — full ranking, the default (Krichene and Rendle, "On Sampled Metrics for Item
 *   Recommendation", KDD 2020, https://doi.org/10.1145/3394486.3403226);
 * - "sampled": the held-out item against the case's sampled negatives, as in the NCF paper (He et
 *   al., WWW 2017, §4.1), kept for comparison with published figures.
 */
export type RankingMode = "full" | "sampled";

/** The measured quality of one trained model. */
export interface ModelMetrics {
  /** Evaluated users. */
  readonly users: number;
  /** Mean hit ratio at k over the users, in [0, 1]. */
  readonly hitRatio: number;
  /** Standard error of `hitRatio` over the users. */
  readonly hitRatioSe: number;
  /** Mean NDCG at k over the users, in [0, 1]. */
  readonly ndcg: number;
  /** Standard error of `ndcg` over the users. */
  readonly ndcgSe: number;
  /** Mean Recall@recallK over the users, in [0, 1] (full ranking only; undefined when sampled). */
  readonly recall?: number | undefined;
  /** Standard error of `recall`. */
  readonly recallSe?: number | undefined;
  /**
   * Catalog coverage of the top k: distinct items in the users' top-k lists over the whole
   * catalog minus their training items, ÷ catalog size; undefined when not measured.
   */
  readonly coverage?: number | undefined;
  /** Wall-clock time of scoring the test candidates, in ms. */
  readonly scoringMs: number;
  /** Wall-clock time of the full-catalog ranking for coverage under the sampled mode, in ms (0 otherwise). */
  readonly coverageMs: number;
}

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** The cut-off k of HR@k, NDCG@k and coverage (default 10). */
  readonly k?: number;
  /** The cut-off of Recall (default 20). */
  readonly recallK?: number;
  /** How the held-out item is ranked (default "full"). */
  readonly ranking?: RankingMode;
  /**
   * Measure catalog coverage (default true). Free under full ranking; under "sampled" it costs a
   * full-catalog ranking per user.
   */
  readonly coverage?: boolean;
}

/**
 * Evaluates one model on the test cases.
 *
 * - Full ranking: scores every item the user did not train on, ranks the held-out items with ties
 *   counted against them ({@link relevantRanks}) and averages HR@k, NDCG@k and Recall@recallK over
 *   the users ({@link rankingMetrics}); coverage@k comes from the same lists (ties by item id).
 * - Sampled: scores each case's held-out item and negatives ({@link heldOutRank}); coverage, when
 *   asked, ranks the whole catalog once more per user.
 *
 * Each mean comes with its per-user standard error ({@link meanWithError}).
 *
 * @param model - the trained model.
 * @param data - the evaluation data.
 * @param options - k, recall cut-off, ranking mode and whether to measure coverage.
 * @throws RangeError when the sampled mode is asked of cases without negatives.
 */
export async function evaluateModel(model: TrainedModel, data: EvaluationData, options: EvaluateOptions = {}): Promise<ModelMetrics> {
  const k = options.k ?? 10;
  const recallK = options.recallK ?? 20;
  const mode = options.ranking ?? "full";
  const wantCoverage = options.coverage ?? true;
  const users = data.cases.length;
  const hits = new Float64Array(users);
  const ndcgs = new Float64Array(users);
  const recalls = new Float64Array(users);
  const lists: number[][] = [];
  const itemCount = data.itemIds.length;
  const unseen = (user: number): Int32Array => {
    const trained = new Set(data.trainItems[user]);
    const items = new Int32Array(itemCount - trained.size);
    let n = 0;
    for (let i = 0; i < itemCount; i++) if (!trained.has(i)) items[n++] = i;
    return items;
  };

  const started = performance.now();
  if (mode === "full") {
    for (const [u, c] of data.cases.entries()) {
      const items = unseen(c.user);
      const scores = await model.scorer.score(c.user, items);
      const wanted = new Set(c.relevant);
      const positions: number[] = [];
      for (let p = 0; p < items.length; p++) if (wanted.has(items[p]!)) positions.push(p);
      const m = rankingMetrics(relevantRanks(scores, positions), k, recallK);
      hits[u] = m.hit;
      ndcgs[u] = m.ndcg;
      recalls[u] = m.recall;
      if (wantCoverage) lists.push(topK(scores, k).map((p) => items[p]!));
    }
  } else {
    for (const [u, c] of data.cases.entries()) {
      if (c.negatives.length === 0) throw new RangeError("the sampled ranking needs sampled negatives (negatives > 0)");
      const items = new Int32Array(c.negatives.length + 1);
      items[0] = c.heldOut;
      items.set(c.negatives, 1);
      const scores = await model.scorer.score(c.user, items);
      const rank = heldOutRank(scores[0]!, scores.subarray(1));
      hits[u] = hitRatioAt(rank, k);
      ndcgs[u] = ndcgAt(rank, k);
    }
  }
  const scoringMs = performance.now() - started;

  let coverageMs = 0;
  if (wantCoverage && mode === "sampled") {
    const coverageStarted = performance.now();
    for (const c of data.cases) {
      const items = unseen(c.user);
      const scores = await model.scorer.score(c.user, items);
      lists.push(topK(scores, k).map((p) => items[p]!));
    }
    coverageMs = performance.now() - coverageStarted;
  }
  const hr = meanWithError(hits);
  const ndcg = meanWithError(ndcgs);
  const recall = mode === "full" ? meanWithError(recalls) : undefined;
  return {
    users,
    hitRatio: hr.mean,
    hitRatioSe: hr.standardError,
    ndcg: ndcg.mean,
    ndcgSe: ndcg.standardError,
    recall: recall?.mean,
    recallSe: recall?.standardError,
    coverage: wantCoverage ? catalogCoverage(lists, itemCount) : undefined,
    scoringMs,
    coverageMs,
  };
}
