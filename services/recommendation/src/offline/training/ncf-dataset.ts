import { compareIds } from "../../../../shared/src/ids.js";
import type { NcfDataSnapshot, NcfInteraction } from "../../models/ncf/ncf-types.js";

/**
 * Interactions indexed for training: dense user and item rows (ids sorted with `compareIds`, so
 * the same data always gives the same rows) and the distinct (user, item) positives.
 */
export interface NcfDataset {
  /** User ids by row. */
  readonly userIds: readonly string[];
  /** Item ids by row. */
  readonly itemIds: readonly string[];
  /** User row of each distinct positive, grouped by user (rows ascending). */
  readonly positiveUsers: Int32Array;
  /** Item row of each distinct positive (ascending within a user). */
  readonly positiveItems: Int32Array;
  /**
   * Recency rank of each positive within its user: 0 for the user's latest interaction, 1 for
   * the one before, … (by the pair's latest timestamp; ties: higher item row first).
   */
  readonly positiveRecency: Int32Array;
  /** Each user's positive item rows, sorted ascending (views into `positiveItems`). */
  readonly userItems: readonly Int32Array[];
  /** Counts and last event time. */
  readonly snapshot: NcfDataSnapshot;
}

/**
 * Indexes interactions: every distinct (user, item) pair is one positive.
 *
 * @param interactions - the positives (any order; duplicates of a pair count once).
 * @throws RangeError when there are no interactions, or an id is empty.
 */
export function buildNcfDataset(interactions: readonly NcfInteraction[]): NcfDataset {
  if (interactions.length === 0) throw new RangeError("no interactions to train on");
  const users = new Set<string>();
  const items = new Set<string>();
  let lastEventTimeMs = 0;
  for (const e of interactions) {
    if (e.userId === "" || e.productId === "") throw new RangeError("an interaction has an empty user or product id");
    users.add(e.userId);
    items.add(e.productId);
    if (e.timestampMs > lastEventTimeMs) lastEventTimeMs = e.timestampMs;
  }
  const userIds = [...users].sort(compareIds);
  const itemIds = [...items].sort(compareIds);
  const userRow = new Map(userIds.map((id, i) => [id, i] as const));
  const itemRow = new Map(itemIds.map((id, i) => [id, i] as const));

  // Per user: item row → the pair's latest timestamp.
  const perUser: Map<number, number>[] = userIds.map(() => new Map());
  for (const e of interactions) {
    const items = perUser[userRow.get(e.userId)!]!;
    const i = itemRow.get(e.productId)!;
    const t = items.get(i);
    if (t === undefined || e.timestampMs > t) items.set(i, e.timestampMs);
  }
  const total = perUser.reduce((n, s) => n + s.size, 0);
  const positiveUsers = new Int32Array(total);
  const positiveItems = new Int32Array(total);
  const positiveRecency = new Int32Array(total);
  const userItems: Int32Array[] = [];
  let at = 0;
  perUser.forEach((times, u) => {
    const sorted = Int32Array.from(times.keys()).sort();
    positiveItems.set(sorted, at);
    positiveUsers.fill(u, at, at + sorted.length);
    const byRecency = [...sorted.keys()].sort((a, b) => times.get(sorted[b]!)! - times.get(sorted[a]!)! || sorted[b]! - sorted[a]!);
    byRecency.forEach((k, rank) => (positiveRecency[at + k] = rank));
    userItems.push(positiveItems.subarray(at, at + sorted.length));
    at += sorted.length;
  });
  return {
    userIds,
    itemIds,
    positiveUsers,
    positiveItems,
    positiveRecency,
    userItems,
    snapshot: { users: userIds.length, items: itemIds.length, interactions: total, events: interactions.length, lastEventTimeMs },
  };
}
