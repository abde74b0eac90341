import { randomUUID } from "node:crypto";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import type { RecordEventRequest } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { invalidArgument } from "../../../shared/src/errors.js";
import { requireId, requireProductId } from "../../../shared/src/validation.js";
import { requireRecommendationId } from "../../../shared/src/recommendation-id.js";

/** How far in the future `occur_time` may be, in ms (clock skew allowance): 5 minutes. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** The accepted event types (every EventType but UNSPECIFIED). */
export const EVENT_TYPES: readonly EventType[] = [
  EventType.CLICK,
  EventType.VIEW,
  EventType.LIKE,
  EventType.DISLIKE,
  EventType.RATE,
];

const TYPE_PROBLEM = "must be one of CLICK, VIEW, LIKE, DISLIKE, RATE";

/** A RecordEvent request that passed validation, with defaults filled in. */
export interface ValidatedEvent {
  /** The idempotency key: the client's event_id, or a fresh UUID. */
  readonly eventId: string;
  readonly userId: string;
  readonly productId: string;
  /** One of {@link EVENT_TYPES}. */
  readonly type: EventType;
  /** The rating (0.5 to 5 in steps of 0.5) for RATE, else 0. */
  readonly value: number;
  /** When the engagement happened, to the millisecond (the request's occur_time, or now). */
  readonly occurredAt: Date;
  /** The list the engagement came from (a UUID in lower case), or undefined when none was named. */
  readonly recommendationId?: string;
}

/**
 * Tells whether a number is a known, specified EventType.
 *
 * @param type - the enum number received.
 */
export function isEventType(type: number): type is EventType {
  return EVENT_TYPES.includes(type as EventType);
}

/**
 * Validates an event type field.
 *
 * @param field - the proto field name.
 * @param type - the enum number received.
 * @param allowUnspecified - whether EVENT_TYPE_UNSPECIFIED (0) is accepted (as "all types").
 * @throws ConnectError INVALID_ARGUMENT "<field>: must be one of CLICK, VIEW, LIKE, DISLIKE, RATE".
 */
export function requireEventType(field: string, type: number, allowUnspecified = false): EventType {
  if (allowUnspecified && type === EventType.UNSPECIFIED) return EventType.UNSPECIFIED;
  if (!isEventType(type)) throw invalidArgument(field, TYPE_PROBLEM);
  return type;
}

/**
 * Validates a RecordEvent request field by field, in the order user_id, product_id, type, value,
 * event_id, occur_time, so the first bad field is the one named. Rules:
 * - user_id, product_id: 1 to 64 characters of letters, digits, '.', '_', ':', '-';
 * - type: CLICK, VIEW, LIKE, DISLIKE or RATE;
 * - value: for RATE 0.5 to 5 in steps of 0.5, for the other types exactly 0;
 * - event_id: empty (a UUID is generated) or an identifier as above;
 * - occur_time: unset (now), else a valid Timestamp not before 1970-01-01T00:00:00Z and at most
 *   5 minutes after `nowMs`. Sub-millisecond precision is dropped;
 * - recommendation_id: empty (none) or a UUID in canonical form, at most 36 characters (see
 *   `requireRecommendationId`), kept in lower case. It is not checked against the stored
 *   impressions: the recommendation service records those in the background, so a click may
 *   arrive first; attribution is decided when the rates are computed.
 *
 * @param req - the request.
 * @param nowMs - the current time, in ms since the epoch.
 * @returns the validated event with defaults filled in.
 * @throws ConnectError INVALID_ARGUMENT "<field>: <problem>" for the first bad field.
 */
export function validateRecordEvent(req: RecordEventRequest, nowMs: number): ValidatedEvent {
  const userId = requireId("user_id", req.userId);
  const productId = requireProductId("product_id", req.productId);
  const type = requireEventType("type", req.type);
  const value = req.value;
  if (type === EventType.RATE) {
    if (!Number.isFinite(value) || value < 0.5 || value > 5 || !Number.isInteger(value * 2)) {
      throw invalidArgument("value", `must be between 0.5 and 5 in steps of 0.5 for RATE, got ${value}`);
    }
  } else if (value !== 0) {
    throw invalidArgument("value", `must be 0 for ${EventType[type]}, got ${value}`);
  }
  const eventId = req.eventId === "" ? randomUUID() : requireId("event_id", req.eventId);
  let occurredAt = new Date(nowMs);
  if (req.occurTime) {
    const { seconds, nanos } = req.occurTime;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
      throw invalidArgument("occur_time", "nanos must be between 0 and 999999999");
    }
    if (seconds < 0n) throw invalidArgument("occur_time", "must not be before 1970-01-01T00:00:00Z");
    if (seconds > BigInt(Math.floor((nowMs + MAX_FUTURE_SKEW_MS) / 1000)) + 1n) {
      throw invalidArgument("occur_time", "must not be more than 5 minutes in the future");
    }
    const ms = Number(seconds) * 1000 + Math.floor(nanos / 1_000_000);
    if (ms > nowMs + MAX_FUTURE_SKEW_MS) {
      throw invalidArgument("occur_time", "must not be more than 5 minutes in the future");
    }
    occurredAt = new Date(ms);
  }
  const recommendationId = req.recommendationId === "" ? undefined : requireRecommendationId("recommendation_id", req.recommendationId);
  return { eventId, userId, productId, type, value, occurredAt, ...(recommendationId ? { recommendationId } : {}) };
}
