import type { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { engagementKind } from "../../serving/peers/event-kind.js";

/** How much one event of each type adds to a product's trending score. */
export type EventWeights = Readonly<Record<"click" | "view" | "like" | "dislike" | "rate", number>>;

/**
 * Default weights of each event type in the trending score:
 * - CLICK 1 and VIEW 1: plain attention;
 * - LIKE 2: an explicit positive signal counts as two views;
 * - RATE 1: a rating is attention whatever its value (a low rating still means people are watching);
 * - DISLIKE 0: a negative signal never makes a product trend (it is still counted in the per-product
 *   stats hash).
 */
export const DEFAULT_EVENT_WEIGHTS: EventWeights = { click: 1, view: 1, like: 2, dislike: 0, rate: 1 };

/**
 * The field name of an event type in the per-product stats hash and in {@link EventWeights}:
 * `click`, `view`, `like`, `dislike` or `rate`.
 *
 * @param type - the event type.
 * @returns the name, or undefined for EVENT_TYPE_UNSPECIFIED and unknown numbers.
 */
export function eventTypeField(type: EventType): keyof EventWeights | undefined {
  return engagementKind(type);
}
