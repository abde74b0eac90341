import { fromBinary } from "@bufbuild/protobuf";
import { EngagementEventSchema } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import type { ErasedEvent } from "../storage/trending/redis-trending-store.js";

/** A user-deletion message of `engagement-events` (an `EngagementEvent` whose `user_deletion` is set). */
export interface UserDeletionNotice {
  /** The deleted user. */
  readonly userId: string;
  /** The deleted events the message lists (accepted within the log's retention), oldest first. */
  readonly events: readonly ErasedEvent[];
}

function millis(t: { seconds: bigint; nanos: number } | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Decodes a user-deletion message: binary `recsys.engagement.v1.EngagementEvent` with
 * `user_deletion` set (and no `event`). Listed events without a product or a time are dropped (they
 * cannot be subtracted); the deletion itself stands.
 *
 * @param value - the Kafka message value.
 * @returns the deletion, or undefined when the message is not a user deletion (or not decodable).
 */
export function decodeUserDeletion(value: Buffer | null): UserDeletionNotice | undefined {
  if (!value || value.length === 0) return undefined;
  let message;
  try {
    message = fromBinary(EngagementEventSchema, value);
  } catch {
    return undefined;
  }
  const deletion = message.userDeletion;
  if (!deletion || message.event || deletion.userId.length === 0) return undefined;
  const events: ErasedEvent[] = [];
  for (const e of deletion.events) {
    const occurredAtMs = millis(e.occurTime);
    if (e.productId.length === 0 || occurredAtMs === undefined) continue;
    events.push({ eventId: e.eventId, productId: e.productId, type: e.type, occurredAtMs, acceptedAtMs: millis(e.acceptTime) ?? occurredAtMs });
  }
  return { userId: deletion.userId, events };
}
