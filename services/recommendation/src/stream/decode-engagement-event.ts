import { fromBinary } from "@bufbuild/protobuf";
import { EngagementEventSchema, EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import type { TrendingEvent } from "../storage/trending/trending-store.js";

/** The outcome of decoding one Kafka message: the event, or why the message is unusable. */
export type DecodeResult = { readonly ok: true; readonly event: TrendingEvent } | { readonly ok: false; readonly reason: string };

const KNOWN_TYPES = new Set<number>([EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.DISLIKE, EventType.RATE]);

/**
 * Decodes the value of an `engagement-events` message (binary `recsys.engagement.v1.EngagementEvent`)
 * into a {@link TrendingEvent}, checking what the trending store needs: an event with an event_id,
 * a user_id (with the event_id, the idempotency key; and whose weight is capped), a product_id, a
 * known type and an occur_time.
 *
 * @param value - the Kafka message value (null for a tombstone).
 * @returns the event, or the reason the message is malformed (never throws).
 */
export function decodeEngagementEvent(value: Buffer | null): DecodeResult {
  if (!value || value.length === 0) return { ok: false, reason: "empty value" };
  let message;
  try {
    message = fromBinary(EngagementEventSchema, value);
  } catch (err) {
    return { ok: false, reason: `not an EngagementEvent: ${err instanceof Error ? err.message : String(err)}` };
  }
  const e = message.event;
  if (!e) return { ok: false, reason: "no event" };
  if (e.eventId.length === 0) return { ok: false, reason: "no event_id" };
  if (e.userId.length === 0) return { ok: false, reason: "no user_id" };
  if (e.productId.length === 0) return { ok: false, reason: "no product_id" };
  if (!KNOWN_TYPES.has(e.type)) return { ok: false, reason: `unknown type ${e.type}` };
  if (!e.occurTime) return { ok: false, reason: "no occur_time" };
  const occurredAtMs = Number(e.occurTime.seconds) * 1000 + Math.floor(e.occurTime.nanos / 1_000_000);
  if (!Number.isFinite(occurredAtMs)) return { ok: false, reason: "bad occur_time" };
  return {
    ok: true,
    event: {
      eventId: e.eventId,
      userId: e.userId,
      productId: e.productId,
      categories: message.categories,
      type: e.type,
      value: e.value,
      occurredAtMs,
    },
  };
}
