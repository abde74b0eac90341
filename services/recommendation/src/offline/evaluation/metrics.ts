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
