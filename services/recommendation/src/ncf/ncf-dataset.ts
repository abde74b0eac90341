import { compareIds } from "../domain/ids.js";
import type { NcfDataSnapshot, NcfInteraction } from "./train.js";

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

  const perUser: Set<number>[] = userIds.map(() => new Set());
  for (const e of interactions) perUser[userRow.get(e.userId)!]!.add(itemRow.get(e.productId)!);
  const total = perUser.reduce((n, s) => n + s.size, 0);
  const positiveUsers = new Int32Array(total);
  const positiveItems = new Int32Array(total);
  const userItems: Int32Array[] = [];
  let at = 0;
  perUser.forEach((set, u) => {
    const sorted = Int32Array.from(set).sort();
    positiveItems.set(sorted, at);
    positiveUsers.fill(u, at, at + sorted.length);
    userItems.push(positiveItems.subarray(at, at + sorted.length));
    at += sorted.length;
  });
  return {
    userIds,
    itemIds,
    positiveUsers,
    positiveItems,
    userItems,
    snapshot: { users: userIds.length, items: itemIds.length, interactions: total, events: interactions.length, lastEventTimeMs },
  };
}
