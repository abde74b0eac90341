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
