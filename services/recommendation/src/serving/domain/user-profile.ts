import type { EngagementKind } from "../../../../shared/src/event-kinds.js";
import type { HistoryEvent } from "./history-source.js";

/** How a history is read into a profile. */
export interface ProfileOptions {
  /** A rating at or above this many stars is a positive (default 3.5). */
  readonly positiveRating: number;
  /** Event kinds that make a product "seen", never to be recommended (default rate, like, dislike). */
  readonly seenKinds: ReadonlySet<EngagementKind>;
  /** The most recent positives kept (default 20). */
  readonly maxPositives: number;
}

/** What the recommender needs from a user's history. */
export interface UserProfile {
  /** Products the user engaged with positively, most recent first, distinct, at most `maxPositives`. */
  readonly positives: readonly string[];
  /** Products never to recommend to this user. */
  readonly seen: ReadonlySet<string>;
}

/**
 * Reads a user's history (newest first) into positives and seen products.
 *
 * - A product's latest explicit opinion decides whether it is a positive: a "like", or a "rate"
 *   of at least `positiveRating` stars; a later "dislike" or low rating cancels an earlier like.
 * - "click" and "view" never make a positive: they are weak, noisy implicit feedback, and they
 *   already feed the trending signal.
 * - A product is seen when the user had any event of a kind in `seenKinds` with it.
 *
 * @param events - the user's events, newest first.
 * @param options - threshold, seen kinds and bound.
 */
export function buildUserProfile(events: readonly HistoryEvent[], options: ProfileOptions): UserProfile {
  const positives: string[] = [];
  const decided = new Set<string>();
  const seen = new Set<string>();
  for (const e of events) {
    if (options.seenKinds.has(e.kind)) seen.add(e.productId);
    if (e.kind !== "rate" && e.kind !== "like" && e.kind !== "dislike") continue;
    if (decided.has(e.productId)) continue;
    decided.add(e.productId);
    const positive = e.kind === "like" || (e.kind === "rate" && e.value >= options.positiveRating);
    if (positive && positives.length < options.maxPositives) positives.push(e.productId);
  }
  return { positives, seen };
}
