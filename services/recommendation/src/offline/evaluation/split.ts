import { compareIds } from "../../../../shared/src/ids.js";
import type { RatedInteraction } from "./interactions.js";

/** The leave-one-out split of {@link leaveOneOutSplit}. */
export interface LeaveOneOutSplit {
  /** Every interaction except the held-out ones (one per (user, product) pair), in input order. */
  readonly train: readonly RatedInteraction[];
  /** Each evaluable user's latest interaction, ordered by user id (numeric for MovieLens ids). */
  readonly heldOut: readonly RatedInteraction[];
}

/**
 * Orders interactions newest first: by timestamp, then by product id, larger first (so the tie
 * between two ratings in the same second is broken the same way on every run).
 *
 * @returns negative when `a` is newer.
 */
export function newestFirst(a: RatedInteraction, b: RatedInteraction): number {
  return b.timestampMs - a.timestampMs || compareIds(b.productId, a.productId);
}

/**
 * The leave-one-out split of He et al., "Neural Collaborative Filtering", WWW 2017, §4.1
 * (https://arxiv.org/abs/1708.05031): for each user, the latest interaction is held out for
 * testing and the others are the training data.
 *
 * - "Latest" is by timestamp; ties are broken by the larger product id ({@link newestFirst}).
 * - Repeated (user, product) pairs are first reduced to their latest interaction, so a held-out
 *   product never also appears in the user's training data.
 * - A user with a single distinct product keeps it for training and is not evaluated (no
 *   ml-latest-small user is in that case: each has at least 20 ratings).
 *
 * @param interactions - all interactions, any order.
 * @returns the training interactions and the held-out ones.
 */
export function leaveOneOutSplit(interactions: readonly RatedInteraction[]): LeaveOneOutSplit {
  const latestByPair = new Map<string, RatedInteraction>();
  for (const e of interactions) {
    const key = `${e.userId}\u0000${e.productId}`;
    const seen = latestByPair.get(key);
    if (!seen || newestFirst(e, seen) < 0) latestByPair.set(key, e);
  }
  const latestByUser = new Map<string, RatedInteraction>();
  const distinctByUser = new Map<string, number>();
  for (const e of latestByPair.values()) {
    distinctByUser.set(e.userId, (distinctByUser.get(e.userId) ?? 0) + 1);
    const seen = latestByUser.get(e.userId);
    if (!seen || newestFirst(e, seen) < 0) latestByUser.set(e.userId, e);
  }
  const heldOut = [...latestByUser.values()]
    .filter((e) => (distinctByUser.get(e.userId) ?? 0) >= 2)
    .sort((a, b) => compareIds(a.userId, b.userId));
  const held = new Set(heldOut);
  const train = interactions.filter((e) => latestByPair.get(`${e.userId}\u0000${e.productId}`) === e && !held.has(e));
  return { train, heldOut };
}

/** The time-based split of {@link timeSplit}. */
export interface TimeSplit {
  /** The interactions before the cut, in input order. */
  readonly train: readonly RatedInteraction[];
  /** The interactions at or after the cut, in input order. */
  readonly heldOut: readonly RatedInteraction[];
  /** The cut, in ms since the epoch. */
  readonly cutMs: number;
}

/**
 * A global temporal split (the "time-based" protocol of Meng, McCreadie, Macdonald and Ounis,
 * "Exploring Data Splitting Strategies for the Evaluation of Recommendation Models", RecSys 2020,
 * https://arxiv.org/abs/2007.13237): one cut time for every user, so no interaction after the cut
 * informs training. The cut is the timestamp at the `quantile` of all interaction times (nearest
 * rank); interactions at or after it are held out.
 *
 * @param interactions - all interactions, any order.
 * @param quantile - in (0, 1), for example 0.8 to hold out the latest 20%.
 * @returns the training interactions, the held-out ones and the cut.
 * @throws RangeError when there are no interactions.
 */
export function timeSplit(interactions: readonly RatedInteraction[], quantile: number): TimeSplit {
  if (interactions.length === 0) throw new RangeError("timeSplit: no interactions to split");
  const times = Float64Array.from(interactions, (e) => e.timestampMs).sort();
  const cutMs = times[Math.min(times.length - 1, Math.floor(quantile * times.length))]!;
  const train: RatedInteraction[] = [];
  const heldOut: RatedInteraction[] = [];
  for (const e of interactions) (e.timestampMs < cutMs ? train : heldOut).push(e);
  return { train, heldOut, cutMs };
}
