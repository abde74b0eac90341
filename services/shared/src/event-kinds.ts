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

/** The one table between kinds and the contract's `EventType` (proto/recsys/engagement/v1/event.proto). */
const EVENT_TYPE_OF_KIND: Readonly<Record<EngagementKind, EventType>> = {
  click: EventType.CLICK,
  view: EventType.VIEW,
  like: EventType.LIKE,
  dislike: EventType.DISLIKE,
  rate: EventType.RATE,
};

const KIND_OF_EVENT_TYPE: ReadonlyMap<EventType, EngagementKind> = new Map(
  ENGAGEMENT_KINDS.map((kind) => [EVENT_TYPE_OF_KIND[kind], kind] as const),
);

/**
 * Maps the engagement service's `EventType` (proto/recsys/engagement/v1/event.proto) to its kind.
 *
 * @param type - the event type number.
 * @returns the kind, or undefined for `EVENT_TYPE_UNSPECIFIED` and unknown numbers (such events are skipped).
 */
export function engagementKind(type: EventType): EngagementKind | undefined {
  return KIND_OF_EVENT_TYPE.get(type);
}

/**
 * Maps a kind to the contract's `EventType` (the inverse of {@link engagementKind}).
 *
 * @param kind - the kind.
 * @returns its `EventType` number (never UNSPECIFIED).
 */
export function eventTypeOf(kind: EngagementKind): EventType {
  return EVENT_TYPE_OF_KIND[kind];
}
