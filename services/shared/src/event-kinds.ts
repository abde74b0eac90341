import { EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";

/**
 * The kinds of engagement a user can have with a product (the engagement service's `EventType`
 * without `UNSPECIFIED`).
 */
export type EngagementKind = "click" | "view" | "like" | "dislike" | "rate";

/** Every engagement kind, in `EventType` number order. */
export const ENGAGEMENT_KINDS: readonly EngagementKind[] = ["click", "view", "like", "dislike", "rate"];

/** One engagement of a user with a product, as the recommendation side reads it. */
export interface Engagement {
  /** The user who engaged. */
  readonly userId: string;
  /** The product engaged with. */
  readonly productId: string;
  /** What the user did. */
  readonly kind: EngagementKind;
  /** The rating for "rate" (0.5 to 5 stars), 0 otherwise. */
  readonly value: number;
}

/** A count per engagement kind, for example the clicks, views, likes, dislikes and ratings of a product. */
export type EngagementCounts = Readonly<Record<EngagementKind, number>>;

/**
 * Maps the engagement service's `EventType` (proto/recsys/engagement/v1/event.proto) to its kind.
 *
 * @param type - the event type number.
 * @returns the kind, or undefined for `EVENT_TYPE_UNSPECIFIED` and unknown numbers (such events are skipped).
 */
export function engagementKind(type: EventType): EngagementKind | undefined {
  switch (type) {
    case EventType.CLICK:
      return "click";
    case EventType.VIEW:
      return "view";
    case EventType.LIKE:
      return "like";
    case EventType.DISLIKE:
      return "dislike";
    case EventType.RATE:
      return "rate";
    default:
      return undefined;
  }
}
