import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  EngagementEventSchema,
  EventSchema,
  UserDeletionSchema,
  type Event,
} from "../../../gen/recsys/engagement/v1/event_pb.js";
import type { StoredEvent } from "./data/event-repository.js";
import type { OutboxMessage } from "../../shared/src/outbox/outbox-repository.js";
import { traceContextHeaders } from "../../shared/src/trace-context.js";

/**
 * Kafka header carrying the event's event_id. An event_id is unique per user only: the idempotency
 * key is the pair of this header and {@link USER_ID_HEADER} (the payload's `event.user_id` and
 * `event.event_id`), so a consumer dedupes on both, never on event_id alone.
 */
export const EVENT_ID_HEADER = "event-id";

/** Kafka header carrying the event's user_id, the other half of the idempotency key (see {@link EVENT_ID_HEADER}). */
export const USER_ID_HEADER = "user-id";

/**
 * Converts a stored event into its `recsys.engagement.v1.Event` message.
 *
 * @param e - the stored event.
 */
export function toEventMessage(e: StoredEvent): Event {
  return create(EventSchema, {
    eventId: e.eventId,
    userId: e.userId,
    productId: e.productId,
    type: e.type,
    value: e.value,
    occurTime: timestampFromDate(e.occurredAt),
    acceptTime: timestampFromDate(e.acceptedAt),
    recommendationId: e.recommendationId ?? "",
  });
}

/**
 * Builds the outbox message announcing an accepted event: topic `topic`, key = user id (so one user's
 * events stay in order on one partition), value = binary `EngagementEvent { event, categories }`,
 * headers `user-id` and `event-id` (together the event's idempotency key: two users' events with
 * the same event_id are two messages that consumers must both apply) and, when tracing is on, the
 * active context's `traceparent`/`tracestate` (services/shared/src/trace-context.ts).
 *
 * @param topic - the Kafka topic, normally `engagement-events`.
 * @param e - the stored event.
 * @param categories - the product's categories when the event was accepted.
 */
export function engagementOutboxMessage(topic: string, e: StoredEvent, categories: readonly string[]): OutboxMessage {
  const payload = toBinary(
    EngagementEventSchema,
    create(EngagementEventSchema, { event: toEventMessage(e), categories: [...categories] }),
  );
  // The RecordEvent call's W3C trace context (none when tracing is off), so the relay and the
  // consumer continue its trace.
  return { topic, key: e.userId, payload, headers: { [USER_ID_HEADER]: e.userId, [EVENT_ID_HEADER]: e.eventId, ...traceContextHeaders() } };
}

/** Kafka header marking a user-deletion message (value "1"); its `user-id` header names the user. */
export const USER_DELETION_HEADER = "user-deletion";

/**
 * Builds the outbox message announcing a user's deletion: topic `topic`, key = user id (the key of
 * the user's events, so it lands on their partition after all of them), value = binary
 * `EngagementEvent { user_deletion: { user_id, delete_time, events } }` with no `event` (the listed
 * events without their user id), headers
 * `user-id` and `user-deletion: 1`.
 *
 * @param topic - the Kafka topic, normally `engagement-events`.
 * @param userId - the deleted user.
 * @param deletedAt - when the deletion was recorded.
 * @param events - the deleted events consumers may hold contributions of, oldest first.
 */
export function userDeletionOutboxMessage(topic: string, userId: string, deletedAt: Date, events: readonly StoredEvent[]): OutboxMessage {
  const payload = toBinary(
    EngagementEventSchema,
    create(EngagementEventSchema, {
      // The listed events leave user_id empty: it is the deletion's, and the message stays small.
      userDeletion: create(UserDeletionSchema, { userId, deleteTime: timestampFromDate(deletedAt), events: events.map((e) => ({ ...toEventMessage(e), userId: "" })) }),
    }),
  );
  return { topic, key: userId, payload, headers: { [USER_ID_HEADER]: userId, [USER_DELETION_HEADER]: "1", ...traceContextHeaders() } };
}
