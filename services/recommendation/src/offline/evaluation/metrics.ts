/**
 * Ranking metrics of the leave-one-out protocol (He et al., "Neural Collaborative Filtering",
 * WWW 2017, §4.1, https://arxiv.org/abs/1708.05031): the held-out item is ranked among sampled
 * negatives; hit ratio and NDCG at a cut-off k are averaged over users.
 */

/**
 * The 0-based rank of the held-out item among the negatives: the number of negatives scoring
 * greater than OR EQUAL to it. Ties count against the held-out item, so a constant scorer ranks
 * it last. A NaN score counts as −∞ (a NaN held-out score ranks behind every negative).
 *
 * @param heldOutScore - the held-out item's score.
 * @param negativeScores - the negatives' scores.
 * @returns a rank in [0, negativeScores.length].
 */
export function heldOutRank(heldOutScore: number, negativeScores: ArrayLike<number>): number {
  const h = Number.isNaN(heldOutScore) ? Number.NEGATIVE_INFINITY : heldOutScore;
  let rank = 0;
  for (let i = 0; i < negativeScores.length; i++) {
    const s = negativeScores[i]!;
    if ((Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s) >= h) rank++;
  }
  return rank;
}

/**
 * Hit ratio at k for one user: 1 when the held-out item is in the top k (rank < k), else 0.
 *
 * @param rank - the 0-based rank of {@link heldOutRank}.
 * @param k - the cut-off (10 in the paper).
 */
export function hitRatioAt(rank: number, k: number): number {
  return rank < k ? 1 : 0;
}

/**
 * NDCG at k for one user with a single relevant item: `1 / log2(rank + 2)` when rank < k (so 1 at
 * rank 0), else 0 (the ideal DCG is 1).
 *
 * @param rank - the 0-based rank of {@link heldOutRank}.
 * @param k - the cut-off (10 in the paper).
 */
export function ndcgAt(rank: number, k: number): number {
  return rank < k ? 1 / Math.log2(rank + 2) : 0;
}

/**
 * The positions of the k highest scores, best first; ties are broken by position (earlier first),
 * and NaN counts as −∞. Linear in scores.length for small k (a sorted buffer of k).
 *
 * @param scores - the scores.
 * @param k - how many to keep.
 * @returns at most k positions into `scores`.
 */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < scores.length; i++) {
    const raw = scores[i]!;
    const s = Number.isNaN(raw) ? Number.NEGATIVE_INFINITY : raw;
    if (best.length === k && !(s > best[k - 1]!.s)) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.s < s) at--;
    best.splice(at, 0, { i, s });
    if (best.length > k) best.pop();
  }
  return best.map((b) => b.i);
}

/**
 * Catalog coverage: the share of the catalog that appears in at least one user's list (Ge,
 * Delgado-Battenfeld and Jannach, "Beyond accuracy", RecSys 2010,
 * https://doi.org/10.1145/1864708.1864761).
 *
 * @param lists - each user's recommended items.
 * @param catalogSize - the number of items in the catalog.
 * @returns distinct recommended items ÷ catalogSize, in [0, 1] (0 for an empty catalog).
 */
export function catalogCoverage<T>(lists: Iterable<Iterable<T>>, catalogSize: number): number {
  const distinct = new Set<T>();
  for (const list of lists) for (const item of list) distinct.add(item);
  return catalogSize > 0 ? distinct.size / catalogSize : 0;
}

/**
 * Full-ranking ranks of a user's held-out items: each item's 0-based position in the list of all
 * scored candidates sorted by score, with ties against the held-out items (every non-held-out
 * candidate scoring greater than or equal to a held-out item ranks before it; among the held-out
 * items, a higher score first, then the earlier position). NaN counts as −∞. With one held-out
 * item it is {@link heldOutRank} over all the other candidates. O(n log r) for n candidates and r
 * held-out items.
 *
 * @param scores - the scores of every candidate (the held-out items among them).
 * @param relevant - positions into `scores` of the held-out items, distinct.
 * @returns their ranks, ascending.
 */
export function relevantRanks(scores: ArrayLike<number>, relevant: ArrayLike<number>): Int32Array {
  const clean = (s: number) => (Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s);
  const isRelevant = new Set<number>();
  for (let i = 0; i < relevant.length; i++) isRelevant.add(relevant[i]!);
  // Held-out items best first (ties: earlier position first); their order among themselves.
  const order = Array.from({ length: relevant.length }, (_, i) => relevant[i]!).sort((a, b) => clean(scores[b]!) - clean(scores[a]!) || a - b);
  const r = order.length;
  const ascending = Float64Array.from(order, (p) => clean(scores[p]!)).reverse();
  // before[i]: non-held-out candidates scoring >= the i-th lowest held-out score.
  const diff = new Int32Array(r + 1);
  for (let j = 0; j < scores.length; j++) {
    if (isRelevant.has(j)) continue;
    const s = clean(scores[j]!);
    let lo = 0;
    let hi = r;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ascending[mid]! <= s) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) diff[0]!++, diff[lo]!--;
  }
  const ranks = new Int32Array(r);
  let running = 0;
  for (let i = 0; i < r; i++) {
    running += diff[i]!;
    // ascending index i is the (r − 1 − i)-th best held-out item.
    ranks[r - 1 - i] = running + (r - 1 - i);
  }
  return ranks.sort();
}

/** Per-user ranking metrics at cut-offs (see {@link rankingMetrics}). */
export interface UserRankingMetrics {
  /** 1 when a held-out item ranks in the top k, else 0. */
  readonly hit: number;
  /** DCG@k ÷ ideal DCG@k with binary relevance, in [0, 1]. */
  readonly ndcg: number;
  /** Held-out items in the top `recallK` ÷ held-out items, in [0, 1]. */
  readonly recall: number;
}

/**
 * HR@k, NDCG@k (binary relevance: DCG = Σ 1/log2(rank + 2) over the held-out items in the top k,
 * ÷ the ideal DCG of min(|R|, k) items at the top; Järvelin and Kekäläinen, ACM TOIS 2002,
 * https://doi.org/10.1145/582415.582418) and Recall@recallK (hits ÷ |R|) of one user.
 *
 * @param ranks - the held-out items' 0-based ranks, ascending ({@link relevantRanks}).
 * @param k - the cut-off of HR and NDCG (10).
 * @param recallK - the cut-off of recall (20).
 */
export function rankingMetrics(ranks: ArrayLike<number>, k: number, recallK: number): UserRankingMetrics {
  let dcg = 0;
  let ideal = 0;
  let recalled = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (ranks[i]! < k) dcg += 1 / Math.log2(ranks[i]! + 2);
    if (i < k) ideal += 1 / Math.log2(i + 2);
    if (ranks[i]! < recallK) recalled++;
  }
  return {
    hit: ranks.length > 0 && ranks[0]! < k ? 1 : 0,
    ndcg: ideal > 0 ? dcg / ideal : 0,
    recall: ranks.length > 0 ? recalled / ranks.length : 0,
  };
}

/** A mean over users and its standard error. */
export interface MeanWithError {
  /** The mean. */
  readonly mean: number;
  /** The standard error of the mean, `s / √n` with the sample standard deviation s (0 for n < 2). */
  readonly standardError: number;
}

/**
 * The mean of per-user values and its standard error (the usual per-user standard error of an
 * offline metric; Sakai, "Statistical Significance, Power, and Sample Sizes", SIGIR 2016).
 *
 * @param values - one value per user.
 */
export function meanWithError(values: ArrayLike<number>): MeanWithError {
  const n = values.length;
  if (n === 0) return { mean: 0, standardError: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  if (n < 2) return { mean, standardError: 0 };
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return { mean, standardError: Math.sqrt(squares / (n - 1) / n) };
}
