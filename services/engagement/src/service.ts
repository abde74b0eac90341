import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import {
  EngagementService,
  GetUserHistoryResponseSchema,
  ListUserEventsResponseSchema,
  RecordEventResponseSchema,
  ScanEventsResponseSchema,
  type GetUserHistoryRequest,
  type GetUserHistoryResponse,
  type ListUserEventsRequest,
  type ListUserEventsResponse,
  type RecordEventRequest,
  type RecordEventResponse,
  type ScanEventsRequest,
  type ScanEventsResponse,
} from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
import { invalidArgument, notFound } from "../../shared/src/errors.js";
import { decodePageToken, encodePageToken, requireId, resolveSize } from "../../shared/src/validation.js";
import type { EventRepository } from "./data/event-repository.js";
import { engagementOutboxMessage, toEventMessage } from "./event-message.js";
import type { CatalogLookup } from "./lookups/catalog-lookup.js";
import type { UserDirectory } from "./lookups/user-directory.js";
import { requireEventType, validateRecordEvent } from "./validation/record-event-validation.js";

/** Dependencies of {@link EngagementServiceImpl}. */
export interface EngagementServiceDeps {
  /** The events table (and outbox). */
  readonly events: EventRepository;
  /** Product existence and categories. */
  readonly catalog: CatalogLookup;
  /** User existence. */
  readonly users: UserDirectory;
  /** The Kafka topic written into outbox rows (normally `engagement-events`). */
  readonly topic: string;
  /** Clock in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** ListUserEvents page size: default 20, at most 100. */
const LIST_DEFAULT = 20;
const LIST_MAX = 100;
/** GetUserHistory and ScanEvents sizes: default 5000, at most 10000. */
const BULK_DEFAULT = 5_000;
const BULK_MAX = 10_000;

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

function isScanCursor(v: unknown): v is ScanCursor {
  const c = v as Partial<ScanCursor> | null;
  return typeof c === "object" && c !== null && typeof c.s === "string" && SEQ_PATTERN.test(c.s);
}

/**
 * EngagementService: records engagement events durably, with their Kafka message written to the
 * transactional outbox in the same transaction, and serves them back per user and in bulk.
 *
 * RecordEvent: validation (INVALID_ARGUMENT naming the field) → user and product existence
 * (NOT_FOUND; UNAVAILABLE when the user or product service is down) → one transaction writing the
 * event and its outbox row. A repeated event_id (the idempotency key) returns the first event with
 * `duplicate = true` and writes nothing.
 */
export class EngagementServiceImpl implements ServiceImpl<typeof EngagementService> {
  private readonly now: () => number;

  /** @param deps - repository, look-ups, topic and clock. */
  constructor(private readonly deps: EngagementServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async recordEvent(req: RecordEventRequest): Promise<RecordEventResponse> {
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

    const result = await this.deps.events.insertWithOutbox(event, (stored) =>
      engagementOutboxMessage(this.deps.topic, stored, categories),
    );
    return create(RecordEventResponseSchema, {
      event: toEventMessage(result.event),
      duplicate: !result.inserted,
    });
  }

  async listUserEvents(req: ListUserEventsRequest): Promise<ListUserEventsResponse> {
    const userId = requireId("user_id", req.userId);
    const type = requireEventType("type", req.type, true);
    const pageSize = resolveSize("page_size", req.pageSize, LIST_DEFAULT, LIST_MAX);
    const cursor = decodePageToken("page_token", req.pageToken, isListCursor);
    if (cursor && (cursor.u !== userId || cursor.ty !== type)) {
      throw invalidArgument("page_token", "was issued for a different user_id or type");
    }
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

  /** recordEvents arrives with the real-time issue (#4); until then it answers UNIMPLEMENTED. */
  recordEvents(): never {
    throw new ConnectError("recordEvents is not implemented yet", Code.Unimplemented);
  }

  async getUserHistory(req: GetUserHistoryRequest): Promise<GetUserHistoryResponse> {
    const userId = requireId("user_id", req.userId);
    const max = resolveSize("max_events", req.maxEvents, BULK_DEFAULT, BULK_MAX);
    const rows = await this.deps.events.listByUser(userId, undefined, max, undefined);
    return create(GetUserHistoryResponseSchema, { events: rows.map(toEventMessage) });
  }

  async scanEvents(req: ScanEventsRequest): Promise<ScanEventsResponse> {
    const pageSize = resolveSize("page_size", req.pageSize, BULK_DEFAULT, BULK_MAX);
    const cursor = decodePageToken("page_token", req.pageToken, isScanCursor);
    const rows = await this.deps.events.scan(cursor?.s, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ s: last.seq }) : "";
    return create(ScanEventsResponseSchema, { events: page.map(toEventMessage), nextPageToken });
  }
}
