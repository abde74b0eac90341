import type { EngagementKind } from "../../../../shared/src/event-kinds.js";

/** How much one event of each kind adds to a product's trending score (a weight per {@link EngagementKind}). */
export type EventWeights = Readonly<Record<EngagementKind, number>>;

/**
 * Default weights of each event type in the trending score:
 * - CLICK 1 and VIEW 1: plain attention;
 * - LIKE 2: an explicit positive signal counts as two views;
 * - RATE 1: a rating is attention whatever its value (a low rating still means people are watching);
 * - DISLIKE 0: a negative signal never makes a product trend (it is still counted in the per-product
 *   stats hash).
 */
export const DEFAULT_EVENT_WEIGHTS: EventWeights = { click: 1, view: 1, like: 2, dislike: 0, rate: 1 };
