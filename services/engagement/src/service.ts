import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import {
  EngagementService,
  GetUserHistoryResponseSchema,
  ListUserEventsResponseSchema,
  RecordEventResponseSchema,
  RecordEventResultSchema,
  RecordEventsResponseSchema,
  ScanEventsResponseSchema,
  DeleteUserEventsResponseSchema,
  ListUserDeletionsResponseSchema,
  UserDeletionRecordSchema,
  GetClickThroughRatesResponseSchema,
  GetEngagementStatusResponseSchema,
  ListTypeClickThroughSchema,
  RecordImpressionsResponseSchema,
  type GetClickThroughRatesRequest,
  type GetClickThroughRatesResponse,
  type GetEngagementStatusRequest,
  type GetEngagementStatusResponse,
  type RecordImpressionsRequest,
  type RecordImpressionsResponse,
  type ListUserDeletionsRequest,
  type ListUserDeletionsResponse,
  type DeleteUserEventsRequest,
  type DeleteUserEventsResponse,
  type GetUserHistoryRequest,
  type GetUserHistoryResponse,
  type ListUserEventsRequest,
  type ListUserEventsResponse,
  type RecordEventRequest,
  type RecordEventResponse,
  type RecordEventResult,
  type RecordEventsRequest,
  type RecordEventsResponse,
  type ScanEventsRequest,
  type ScanEventsResponse,
} from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
import { ListType } from "../../../gen/recsys/engagement/v1/impression_pb.js";
import type { EngagementStatus } from "./data/engagement-status-repository.js";
import type { ImpressionRepository, NewImpression } from "./data/impression-repository.js";
import { resolveCtrWindowSeconds, validateImpressions } from "./validation/impression-validation.js";
import type { AccessControl } from "../../shared/src/access-control.js";
import { invalidArgument, notFound } from "../../shared/src/errors.js";
import { decodePageToken, encodePageToken, requireId, resolveSize } from "../../shared/src/validation.js";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeletedUsersError, eventKey, type EventRepository, type InsertResult } from "./data/event-repository.js";
import { engagementOutboxMessage, toEventMessage, userDeletionOutboxMessage } from "./event-message.js";
import type { CatalogLookup } from "./peers/catalog-lookup.js";
import type { UserDirectory } from "../../shared/src/peers/user-directory.js";
import { requireEventType, validateRecordEvent, type ValidatedEvent } from "./validation/record-event-validation.js";

/** Dependencies of {@link EngagementServiceImpl}. */
export interface EngagementServiceDeps {
  /** The events table (and outbox). */
  readonly events: EventRepository;
  /** The impressions table and the click-through counts (RecordImpressions, GetClickThroughRates). */
  readonly impressions: ImpressionRepository;
  /** Reads events per second and the outbox backlog (GetEngagementStatus; `readEngagementStatus`). */
  readonly status: () => Promise<EngagementStatus>;
  /** Product existence and categories. */
  readonly catalog: CatalogLookup;
  /** User existence. */
  readonly users: UserDirectory;
  /** Who may act for which user (writes need the user's access token or the service token). */
  readonly access: AccessControl;
  /** The Kafka topic written into outbox rows (normally `engagement-events`). */
  readonly topic: string;
  /** Clock in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /**
   * How far back a user-deletion message lists the deleted events, in ms (the topic's retention,
   * `KAFKA_TOPIC_RETENTION_MS`; default 7 days; -1 = forever): only events accepted since then can
   * be in a consumer's state built from the log.
   */
  readonly deletionHorizonMs?: number;
}

/**
 * Most deleted events one user-deletion message lists: about 80 bytes each without the user id (a
 * UUID event id, product id, type, value, two timestamps), so at most ~400 KB, well under Kafka's
 * 1 MB default message size.
 */
export const MAX_ANNOUNCED_DELETED_EVENTS = 5_000;

/** ListUserEvents page size: default 20, at most 100. */
const LIST_DEFAULT = 20;
const LIST_MAX = 100;
/** GetUserHistory and ScanEvents sizes: default 5000, at most 10000. */
const BULK_DEFAULT = 5_000;
const BULK_MAX = 10_000;
/** Most events in one RecordEvents call. */
export const MAX_BATCH_EVENTS = 1_000;

interface ListCursor {
  /** user_id the token was issued for. */
  u: string;
  /** type filter the token was issued for. */
  ty: number;
  /** occurred_at key of the last event returned. */
  t: string;
  /** seq of the last event returned. */
  s: string;
}

interface ScanCursor {
  /** seq of the last event returned. */
  s: string;
}

const SEQ_PATTERN = /^\d{1,19}$/;
const TIME_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function isListCursor(v: unknown): v is ListCursor {
  const c = v as Partial<ListCursor> | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.u === "string" &&
    typeof c.ty === "number" &&
    typeof c.t === "string" &&
    TIME_KEY_PATTERN.test(c.t) &&
    typeof c.s === "string" &&
    SEQ_PATTERN.test(c.s)
  );
}

interface DeletionsCursor {
  /** user_id of the last deletion returned. */
  a: string;
}

function isDeletionsCursor(v: unknown): v is DeletionsCursor {
  const c = v as Partial<DeletionsCursor> | null;
  return typeof c === "object" && c !== null && typeof c.a === "string" && c.a.length > 0;
}

function isScanCursor(v: unknown): v is ScanCursor {
  const c = v as Partial<ScanCursor> | null;
  return typeof c === "object" && c !== null && typeof c.s === "string" && SEQ_PATTERN.test(c.s);
}

/**
 * EngagementService: records engagement events durably, with their Kafka message written to the
 * transactional outbox in the same transaction, and serves them back per user and in bulk.
 *
 * RecordEvent: access control (UNAUTHENTICATED without a valid `authorization: Bearer` token,
 * PERMISSION_DENIED for another user's token; see `AccessControl`) → validation (INVALID_ARGUMENT
 * naming the field) → user and product existence (NOT_FOUND; UNAVAILABLE when the user or product
 * service is down) → one transaction writing the event and its outbox row. The idempotency key is
 * the pair (user_id, event_id): the same user repeating an event_id gets their first event back
 * with `duplicate = true` and nothing is written; another user's event with the same event_id is a
 * different event, stored on its own, and one user's event is never returned to another.
 *
 * RecordEvents: the same rules per event, for 1 to 1000 events, with no per-event round trip:
 * one access check for the call, look-ups deduplicated and cached (one BatchGetProducts for the
 * uncached products), one transaction with a multi-row event insert and a multi-row outbox insert.
 *
 * ListUserEvents needs that user's token or the service token (unless `AUTH_REQUIRED_FOR_READS=false`,
 * a demo setting), and answers NOT_FOUND for a deleted user. The internal RPCs, GetUserHistory and ScanEvents (no `google.api.http` rule, never
 * routed by the public listener), need the service token always.
 */
export class EngagementServiceImpl implements ServiceImpl<typeof EngagementService> {
  private readonly now: () => number;

  /** @param deps - repository, look-ups, topic and clock. */
  constructor(private readonly deps: EngagementServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async recordEvent(req: RecordEventRequest, context: HandlerContext): Promise<RecordEventResponse> {
    await this.deps.access.requireUser(context.requestHeader, req.userId);
    const event = validateRecordEvent(req, this.now());
    // Both look-ups run concurrently; the user's outcome is reported first.
    const [user, product] = await Promise.allSettled([
      this.deps.users.exists(event.userId),
      this.deps.catalog.getCategories(event.productId),
    ]);
    if (user.status === "rejected") throw user.reason;
    if (!user.value) throw notFound("user", event.userId);
    if (product.status === "rejected") throw product.reason;
    const categories = product.value;
    if (!categories) throw notFound("product", event.productId);

    let result: InsertResult;
    try {
      result = await this.deps.events.insertWithOutbox(event, (stored) => engagementOutboxMessage(this.deps.topic, stored, categories));
    } catch (err) {
      // The user was deleted after the look-up (or the look-up answered from its cache).
      if (err instanceof DeletedUsersError) throw notFound("user", event.userId);
      throw err;
    }
    return create(RecordEventResponseSchema, {
      event: toEventMessage(result.event),
      duplicate: !result.inserted,
    });
  }

  async listUserEvents(req: ListUserEventsRequest, context: HandlerContext): Promise<ListUserEventsResponse> {
    await this.deps.access.requireUserForRead(context.requestHeader, req.userId);
    const userId = requireId("user_id", req.userId);
    const type = requireEventType("type", req.type, true);
    const pageSize = resolveSize("page_size", req.pageSize, LIST_DEFAULT, LIST_MAX);
    const cursor = decodePageToken("page_token", req.pageToken, isListCursor);
    if (cursor && (cursor.u !== userId || cursor.ty !== type)) {
      throw invalidArgument("page_token", "was issued for a different user_id or type");
    }
    // A deleted user's events are gone, and so is the user: NOT_FOUND, not an empty page.
    if (await this.deps.events.deletedAt(userId)) throw notFound("user", userId);
    const rows = await this.deps.events.listByUser(
      userId,
      type === EventType.UNSPECIFIED ? undefined : type,
      pageSize + 1,
      cursor ? { occurredAtKey: cursor.t, seq: cursor.s } : undefined,
    );
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken =
      rows.length > pageSize && last ? encodePageToken({ u: userId, ty: type, t: last.occurredAtKey, s: last.seq }) : "";
    return create(ListUserEventsResponseSchema, { events: page.map(toEventMessage), nextPageToken });
  }

  /**
   * Records a batch: each event accepted or rejected on its own, results in request order.
   *
   * Per event, as RecordEvent: INVALID_ARGUMENT naming the field, then NOT_FOUND for an unknown user
   * or product (reported in the event's `error`, with its `index`); a repeated (user_id, event_id)
   * (stored before, or earlier in the same batch) is accepted with `duplicate = true` and that
   * user's first event. Two users' events with the same event_id are two events.
   *
   * @throws ConnectError UNAUTHENTICATED without valid credentials; PERMISSION_DENIED
   *   "events[i].user_id: …" when a user token is used for an event of another user (nothing is
   *   written); INVALID_ARGUMENT "events: …" for 0 or more than 1000 events; UNAVAILABLE when the
   *   user service, the product service or the database is down (nothing is written).
   */
  async recordEvents(req: RecordEventsRequest, context: HandlerContext): Promise<RecordEventsResponse> {
    const principal = await this.deps.access.authenticate(context.requestHeader);
    const count = req.events.length;
    if (count < 1 || count > MAX_BATCH_EVENTS) {
      throw invalidArgument("events", `must hold 1 to ${MAX_BATCH_EVENTS} events, got ${count}`);
    }
    req.events.forEach((e, i) => this.deps.access.authorizeUser(principal, e.userId, `events[${i}].user_id`));

    const now = this.now();
    const results: RecordEventResult[] = new Array(count);
    const candidates: { index: number; event: ValidatedEvent }[] = [];
    req.events.forEach((e, index) => {
      try {
        candidates.push({ index, event: validateRecordEvent(e, now) });
      } catch (err) {
        results[index] = rejected(index, err);
      }
    });

    const [users, products] = await Promise.all([
      candidates.length > 0 ? this.deps.users.existing(candidates.map((c) => c.event.userId)) : new Set<string>(),
      candidates.length > 0
        ? this.deps.catalog.getCategoriesMany(candidates.map((c) => c.event.productId))
        : new Map<string, readonly string[]>(),
    ]);

    // The first accepted occurrence of a (user_id, event_id) is stored; later ones in the batch are
    // its duplicates. Another user's event with the same event_id is a different event.
    const firstIndexByKey = new Map<string, number>();
    const toStore: ValidatedEvent[] = [];
    for (const { index, event } of candidates) {
      const key = eventKey(event.userId, event.eventId);
      if (!users.has(event.userId)) results[index] = rejected(index, notFound("user", event.userId));
      else if (!products.has(event.productId)) results[index] = rejected(index, notFound("product", event.productId));
      else if (!firstIndexByKey.has(key)) {
        firstIndexByKey.set(key, index);
        toStore.push(event);
      }
    }

    // Users deleted since the look-up: their events are rejected as NOT_FOUND, the others stored
    // (the repository writes nothing when it finds one, so the rest are inserted again).
    let storable = toStore;
    let stored: InsertResult[];
    for (;;) {
      try {
        stored = await this.deps.events.insertManyWithOutbox(storable, (e) => engagementOutboxMessage(this.deps.topic, e, products.get(e.productId) ?? []));
        break;
      } catch (err) {
        if (!(err instanceof DeletedUsersError)) throw err;
        for (const { index, event } of candidates) {
          if (err.userIds.has(event.userId) && !results[index]) results[index] = rejected(index, notFound("user", event.userId));
        }
        storable = storable.filter((e) => !err.userIds.has(e.userId));
      }
    }
    const toStoreNow = storable;
    const byKey = new Map<string, InsertResult>(toStoreNow.map((e, i) => [eventKey(e.userId, e.eventId), stored[i]!] as const));
    for (const { index, event } of candidates) {
      if (results[index]) continue;
      const key = eventKey(event.userId, event.eventId);
      const result = byKey.get(key)!;
      const first = firstIndexByKey.get(key) === index;
      results[index] = create(RecordEventResultSchema, {
        index,
        event: toEventMessage(result.event),
        duplicate: !(first && result.inserted),
      });
    }
    const rejectedCount = results.filter((r) => r.error !== undefined).length;
    return create(RecordEventsResponseSchema, {
      results,
      acceptedCount: count - rejectedCount,
      rejectedCount,
    });
  }

  async getUserHistory(req: GetUserHistoryRequest, context: HandlerContext): Promise<GetUserHistoryResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const userId = requireId("user_id", req.userId);
    const max = resolveSize("max_events", req.maxEvents, BULK_DEFAULT, BULK_MAX);
    const rows = await this.deps.events.listByUser(userId, undefined, max, undefined);
    return create(GetUserHistoryResponseSchema, { events: rows.map(toEventMessage) });
  }

  async scanEvents(req: ScanEventsRequest, context: HandlerContext): Promise<ScanEventsResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const pageSize = resolveSize("page_size", req.pageSize, BULK_DEFAULT, BULK_MAX);
    const cursor = decodePageToken("page_token", req.pageToken, isScanCursor);
    const rows = await this.deps.events.scan(cursor?.s, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ s: last.seq }) : "";
    return create(ScanEventsResponseSchema, { events: page.map(toEventMessage), nextPageToken });
  }

  /**
   * Deletes every event of one user, records the deletion and queues its Kafka message, in one
   * transaction (`EventRepository.deleteUserWithOutbox`): the message (`UserDeletion`, keyed by the
   * user id, so it follows the user's events on their partition) lists the deleted events accepted
   * within the topic's retention (at most {@link MAX_ANNOUNCED_DELETED_EVENTS}), which the trending
   * consumer subtracts from its anonymous aggregates. Internal: no HTTP rule, service token only;
   * UserService.DeleteUser calls it before removing the account. Idempotent: a repeat deletes nothing
   * more, queues nothing, and answers the first deletion's time with a count of 0. Events recorded
   * for the user afterwards are NOT_FOUND.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming `user_id`; UNAVAILABLE when the engagement database is down.
   */
  async deleteUserEvents(req: DeleteUserEventsRequest, context: HandlerContext): Promise<DeleteUserEventsResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const userId = requireId("user_id", req.userId);
    const horizon = this.deps.deletionHorizonMs ?? 7 * 86_400_000;
    const since = new Date(horizon < 0 ? 0 : this.now() - horizon);
    const result = await this.deps.events.deleteUserWithOutbox(userId, since, MAX_ANNOUNCED_DELETED_EVENTS, (deletedAt, announced) =>
      userDeletionOutboxMessage(this.deps.topic, userId, deletedAt, announced),
    );
    return create(DeleteUserEventsResponseSchema, {
      deletedEventCount: BigInt(result.deletedEvents),
      deleteTime: timestampFromDate(result.deletedAt),
    });
  }

  /**
   * Pages through the recorded user deletions (`user_deletions`) in user_id order, optionally only
   * those recorded since a time: the trending consumer marks these users deleted before it replays
   * the retained log, so their replayed events are skipped. Internal: service token only.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming `page_size` or `page_token`; UNAVAILABLE when the database is down.
   */
  /**
   * Stores impressions (recommendation lists as shown), keyed by recommendation_id: a repeated id
   * (stored before, or earlier in the same call) changes nothing and counts as a duplicate, so the
   * recommendation service may retry a batch. Internal: service token only.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT "impressions: …" or "impressions[i].<field>: …" (nothing is stored);
   *   UNAVAILABLE when the engagement database is down.
   */
  async recordImpressions(req: RecordImpressionsRequest, context: HandlerContext): Promise<RecordImpressionsResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const impressions = validateImpressions(req.impressions, this.now());
    const distinct = new Map<string, NewImpression>();
    for (const imp of impressions) if (!distinct.has(imp.recommendationId)) distinct.set(imp.recommendationId, imp);
    const recorded = await this.deps.impressions.insertMany([...distinct.values()]);
    return create(RecordImpressionsResponseSchema, { recordedCount: recorded, duplicateCount: impressions.length - recorded });
  }

  /**
   * Click-through per list type over the window ending now (`window_seconds`, default 3600, at
   * most 86400): lists shown in the window, items shown, distinct attributed (recommendation_id,
   * product_id) clicks, and their ratio; one entry per type (FOR_YOU, SIMILAR, TRENDING), zeros for
   * a type without impressions (see `ImpressionRepository.clickThrough`). Operators only: service
   * token.
   *
   * @throws ConnectError UNAUTHENTICATED without credentials; PERMISSION_DENIED "this RPC is for
   *   internal callers (service token)" for a user's token; INVALID_ARGUMENT naming
   *   `window_seconds`; UNAVAILABLE when the engagement database is down or the query runs past 10 s.
   */
  async getClickThroughRates(req: GetClickThroughRatesRequest, context: HandlerContext): Promise<GetClickThroughRatesResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const windowSeconds = resolveCtrWindowSeconds(req.windowSeconds);
    const end = new Date(this.now());
    const start = new Date(end.getTime() - windowSeconds * 1000);
    const counts = new Map((await this.deps.impressions.clickThrough(start, end)).map((c) => [c.listType, c] as const));
    return create(GetClickThroughRatesResponseSchema, {
      rates: CTR_LIST_TYPES.map((listType) => {
        const c = counts.get(listType);
        const items = c?.itemsShown ?? 0;
        const clicks = c?.attributedClicks ?? 0;
        return create(ListTypeClickThroughSchema, {
          listType,
          listsShown: BigInt(c?.listsShown ?? 0),
          itemsShown: BigInt(items),
          attributedClicks: BigInt(clicks),
          clickThroughRate: items > 0 ? clicks / items : 0,
        });
      }),
      windowStart: timestampFromDate(start),
      windowEnd: timestampFromDate(end),
    });
  }

  /**
   * Events accepted per second over the last minute and the outbox backlog, from the engagement
   * database (`readEngagementStatus`). Internal: service token only.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   UNAVAILABLE when the engagement database is down.
   */
  async getEngagementStatus(_req: GetEngagementStatusRequest, context: HandlerContext): Promise<GetEngagementStatusResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const status = await this.deps.status();
    return create(GetEngagementStatusResponseSchema, {
      eventsPerSecond: status.eventsPerSecond,
      outboxPendingRows: BigInt(status.outboxPendingRows),
      outboxOldestRowAgeSeconds: status.outboxOldestRowAgeSeconds,
    });
  }

  async listUserDeletions(req: ListUserDeletionsRequest, context: HandlerContext): Promise<ListUserDeletionsResponse> {
    await this.deps.access.requireService(context.requestHeader);
    const pageSize = resolveSize("page_size", req.pageSize, BULK_DEFAULT, BULK_MAX);
    const cursor = decodePageToken("page_token", req.pageToken, isDeletionsCursor);
    const rows = await this.deps.events.listDeletions(cursor?.a, req.since ? timestampDate(req.since) : undefined, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    return create(ListUserDeletionsResponseSchema, {
      deletions: page.map((d) => create(UserDeletionRecordSchema, { userId: d.userId, deleteTime: timestampFromDate(d.deletedAt) })),
      nextPageToken: rows.length > pageSize && last ? encodePageToken({ a: last.userId }) : "",
    });
  }
}

/** The list types GetClickThroughRates answers for, in answer order. */
const CTR_LIST_TYPES: readonly ListType[] = [ListType.FOR_YOU, ListType.SIMILAR, ListType.TRENDING];

/** The result of a rejected batch event: its index and the error RecordEvent would have answered. */
function rejected(index: number, err: unknown): RecordEventResult {
  if (!(err instanceof ConnectError)) throw err;
  return create(RecordEventResultSchema, {
    index,
    error: create(StatusSchema, { code: err.code, message: err.rawMessage }),
  });
}
