import { compareIds } from "../../../../shared/src/ids.js";
import type { NcfInteraction, ValidationCase } from "../../models/ncf/ncf-types.js";
import type { NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import { deriveSeed, mulberry32, randomBelow, shuffleInPlace } from "../../models/prng.js";

/** Hit ratio and NDCG at a cut-off, averaged over leave-one-out cases. */
export interface LeaveOneOutMetrics {
  /** Share of cases whose held-out item ranks in the top k, in [0, 1]. */
  readonly hr: number;
  /** Mean of 1 / log2(rank + 2) over cases ranked in the top k (0 otherwise), in [0, 1]. */
  readonly ndcg: number;
  /** Number of cases. */
  readonly cases: number;
}

/**
 * Leave-one-out ranking metrics (He et al. 2017, section 4.1, https://arxiv.org/abs/1708.05031):
 * the 0-based rank of the held-out item is the number of candidates scoring greater than or equal
 * to it (ties count against it, as in the evaluation script); a candidate the model does not know
 * never outranks it, and an unknown user or held-out item is a miss.
 *
 * @param scorer - the model.
 * @param cases - the cases (candidates equal to the held-out item are ignored).
 * @param k - the cut-off (10 in the paper).
 * @returns HR@k and NDCG@k (both 0 without cases).
 */
export function evaluateLeaveOneOut(scorer: NeuMFScorer, cases: readonly ValidationCase[], k = 10): LeaveOneOutMetrics {
  let hits = 0;
  let ndcg = 0;
  for (const c of cases) {
    const scores = scorer.score(c.userId, [c.heldOut, ...c.candidates]);
    if (!scores || Number.isNaN(scores[0]!)) continue;
    const held = scores[0]!;
    let rank = 0;
    for (let j = 1; j < scores.length; j++) if (c.candidates[j - 1] !== c.heldOut && scores[j]! >= held) rank++;
    if (rank < k) {
      hits++;
      ndcg += 1 / Math.log2(rank + 2);
    }
  }
  const n = cases.length;
  return { hr: n ? hits / n : 0, ndcg: n ? ndcg / n : 0, cases: n };
}

/** Options of {@link leaveOneOutSplit}. */
export interface LeaveOneOutSplitOptions {
  /** How many users get a held-out case (a seeded sample of those with ≥ 2 distinct items); Infinity for all. */
  readonly users: number;
  /** Candidates sampled per case among items the user never interacted with (99 in the paper). */
  readonly negatives?: number;
  /** Seed of the user sample and of the candidates. */
  readonly seed: number;
}

/**
 * Splits off, for a seeded sample of users, their latest interaction (ties: the larger product id
 * by `compareIds`) as a validation case with sampled candidates; every interaction of those
 * (user, item) pairs leaves the training data.
 *
 * @param interactions - all interactions.
 * @param options - sample size, candidates per case, seed.
 * @returns the training interactions (input order kept) and the cases (user-id order).
 */
export function leaveOneOutSplit(
  interactions: readonly NcfInteraction[],
  options: LeaveOneOutSplitOptions,
): { train: NcfInteraction[]; cases: ValidationCase[] } {
  const negatives = options.negatives ?? 99;
  const latest = new Map<string, NcfInteraction>();
  const itemsOf = new Map<string, Set<string>>();
  const universe = new Set<string>();
  for (const e of interactions) {
    universe.add(e.productId);
    let items = itemsOf.get(e.userId);
    if (!items) itemsOf.set(e.userId, (items = new Set()));
    items.add(e.productId);
    const l = latest.get(e.userId);
    if (!l || e.timestampMs > l.timestampMs || (e.timestampMs === l.timestampMs && compareIds(e.productId, l.productId) > 0)) latest.set(e.userId, e);
  }
  const eligible = [...latest.keys()].filter((u) => itemsOf.get(u)!.size >= 2).sort(compareIds);
  const pick = mulberry32(deriveSeed(options.seed, "validation-users"));
  const order = Int32Array.from(eligible.keys());
  shuffleInPlace(order, pick);
  const chosen = [...order.subarray(0, Math.min(eligible.length, options.users))].map((i) => eligible[i]!).sort(compareIds);

  const items = [...universe].sort(compareIds);
  const held = new Map<string, string>();
  const cases: ValidationCase[] = [];
  for (const userId of chosen) {
    const heldOut = latest.get(userId)!.productId;
    held.set(userId, heldOut);
    const seen = itemsOf.get(userId)!;
    const available = items.length - seen.size;
    const count = Math.min(negatives, available);
    const random = mulberry32(deriveSeed(options.seed, `validation:${userId}`));
    const taken = new Set<string>();
    while (taken.size < count) {
      const id = items[randomBelow(random, items.length)]!;
      if (!seen.has(id)) taken.add(id);
    }
    cases.push({ userId, heldOut, candidates: [...taken] });
  }
  const train = interactions.filter((e) => held.get(e.userId) !== e.productId);
  return { train, cases };
}
