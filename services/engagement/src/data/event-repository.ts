import type pg from "pg";
import type { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { withTransaction } from "../../../shared/src/pg.js";
import { insertOutboxMessage, insertOutboxMessages, type OutboxMessage } from "../../../shared/src/outbox/outbox-repository.js";

/** An event to store (validated, defaults filled in). */
export interface NewEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly productId: string;
  readonly type: EventType;
  /** The rating for RATE, else 0. */
  readonly value: number;
  readonly occurredAt: Date;
}

/** A stored event. */
export interface StoredEvent extends NewEvent {
  /** Acceptance order (bigserial, as a decimal string). */
  readonly seq: string;
  /** When the service stored it. */
  readonly acceptedAt: Date;
  /** occurred_at at full (microsecond) precision, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, for exact keyset cursors. */
  readonly occurredAtKey: string;
}

/** Position after which a page of a user's events starts (newest-first order: strictly older). */
export interface UserEventsCursor {
  /** {@link StoredEvent.occurredAtKey} of the last event of the previous page. */
  readonly occurredAtKey: string;
  /** {@link StoredEvent.seq} of the last event of the previous page. */
  readonly seq: string;
}

/** Result of {@link EventRepository.insertWithOutbox}. */
export interface InsertResult {
  /** The stored event: the new one, or the one the same user recorded first under the same event_id. */
  readonly event: StoredEvent;
  /** false when the user had already recorded the event_id (nothing was written). */
  readonly inserted: boolean;
}

/**
 * The idempotency key of an event as one string: `<length of user_id>:<user_id>:<event_id>`. An
 * event is identified by the pair (user_id, event_id), never by event_id alone (the same event_id
 * from two users is two events); the length prefix keeps the pair unambiguous whatever characters
 * the ids hold (`("a:b", "c")` and `("a", "b:c")` differ).
 *
 * @param userId - the event's user.
 * @param eventId - the event's client- or server-chosen id.
 * @returns the key, for maps and sets of events.
 */
export function eventKey(userId: string, eventId: string): string {
  return `${userId.length}:${userId}:${eventId}`;
}

// Note: ORDER BY clauses must qualify columns (`events.seq`): the output alias `seq` is text.
const COLUMNS = `seq::text AS seq, event_id, user_id, product_id, type, value, occurred_at, accepted_at,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_key`;

interface EventRow {
  seq: string;
  event_id: string;
  user_id: string;
  product_id: string;
  type: number;
  value: number;
  occurred_at: Date;
  accepted_at: Date;
  occurred_key: string;
}

function toEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    eventId: r.event_id,
    userId: r.user_id,
    productId: r.product_id,
    type: r.type as EventType,
    value: r.value,
    occurredAt: r.occurred_at,
    acceptedAt: r.accepted_at,
    occurredAtKey: r.occurred_key,
  };
}

/** PostgreSQL access to the `events` table (and the outbox rows written with new events). */
export class EventRepository {
  /** @param pool - the engagement database pool. */
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Stores an event and, only when it is new, its outbox message, in one transaction:
   * `INSERT … ON CONFLICT (user_id, event_id) DO NOTHING RETURNING`, then the outbox row, then
   * COMMIT. The idempotency key is the pair (user_id, event_id) (unique index
   * `events_user_event_key`, migration 002): when this user already recorded the event_id, nothing
   * is written and that stored event is returned; another user's event with the same event_id is
   * never returned, and does not stop this one from being stored. A concurrent insert of the same
   * pair waits for the first transaction.
   *
   * @param event - the event.
   * @param outboxMessage - builds the outbox message from the stored event (it needs accepted_at).
   * @returns the stored event and whether it was inserted now.
   * @throws the database's error (connection failures are mapped to UNAVAILABLE by the server).
   */
  async insertWithOutbox(event: NewEvent, outboxMessage: (stored: StoredEvent) => OutboxMessage): Promise<InsertResult> {
    return withTransaction(this.pool, async (client) => {
      const res = await client.query<EventRow>(
        `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, event_id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [event.eventId, event.userId, event.productId, event.type, event.value, event.occurredAt],
      );
      const row = res.rows[0];
      if (!row) {
        // Nothing was written. Read in the same transaction (READ COMMITTED: this statement sees the
        // row the conflicting transaction committed) and with the same connection: asking the pool
        // for a second one while holding this one could deadlock under load.
        const existing = await client.query<EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE user_id = $1 AND event_id = $2`,
          [event.userId, event.eventId],
        );
        const first = existing.rows[0];
        if (!first) throw new Error(`event ${event.eventId} of user ${event.userId} conflicted but cannot be read`);
        return { event: toEvent(first), inserted: false };
      }
      const stored = toEvent(row);
      await insertOutboxMessage(client, outboxMessage(stored));
      return { event: stored, inserted: true };
    });
  }

  /**
   * Stores many events and the outbox messages of the new ones in one transaction, with two
   * statements whatever the batch size:
   * 1. `INSERT INTO events … SELECT FROM unnest(…) ORDER BY user_id, event_id ON CONFLICT (user_id,
   *    event_id) DO NOTHING RETURNING …` — rows are inserted in key order, so two batches that share
   *    keys take their unique-index locks in the same order and cannot deadlock;
   * 2. one multi-row outbox insert for the events inserted now, in the order given.
   * The events whose (user_id, event_id) was recorded before (or by a concurrent transaction that
   * committed first) are then read back in one `SELECT … WHERE (user_id, event_id) IN (unnest(…))`,
   * so each repeat gets its own user's first event back, never another user's.
   *
   * @param events - the events, with distinct (user_id, event_id) pairs (the caller folds repeats,
   *   see {@link eventKey}).
   * @param outboxMessage - builds the outbox message from a stored event (it needs accepted_at).
   * @returns one result per event, in the order given.
   * @throws the database's error (nothing is written then).
   */
  async insertManyWithOutbox(
    events: readonly NewEvent[],
    outboxMessage: (stored: StoredEvent) => OutboxMessage,
  ): Promise<InsertResult[]> {
    if (events.length === 0) return [];
    const { inserted, earlier } = await withTransaction(this.pool, async (client) => {
      const res = await client.query<EventRow>(
        `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at)
         SELECT event_id, user_id, product_id, type, value, occurred_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::float8[], $6::timestamptz[])
                AS e(event_id, user_id, product_id, type, value, occurred_at)
          ORDER BY user_id, event_id
         ON CONFLICT (user_id, event_id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [
          events.map((e) => e.eventId),
          events.map((e) => e.userId),
          events.map((e) => e.productId),
          events.map((e) => e.type),
          events.map((e) => e.value),
          events.map((e) => e.occurredAt),
        ],
      );
      const inserted = new Map(res.rows.map((r) => [eventKey(r.user_id, r.event_id), toEvent(r)] as const));
      const messages: OutboxMessage[] = [];
      const repeated: NewEvent[] = [];
      for (const e of events) {
        const stored = inserted.get(eventKey(e.userId, e.eventId));
        if (stored) messages.push(outboxMessage(stored));
        else repeated.push(e);
      }
      await insertOutboxMessages(client, messages);
      const earlier = new Map<string, StoredEvent>();
      if (repeated.length > 0) {
        const existing = await client.query<EventRow>(
          `SELECT ${COLUMNS} FROM events
            WHERE (user_id, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [repeated.map((e) => e.userId), repeated.map((e) => e.eventId)],
        );
        for (const r of existing.rows) earlier.set(eventKey(r.user_id, r.event_id), toEvent(r));
      }
      return { inserted, earlier };
    });
    return events.map((e) => {
      const key = eventKey(e.userId, e.eventId);
      const stored = inserted.get(key);
      if (stored) return { event: stored, inserted: true };
      const first = earlier.get(key);
      if (!first) throw new Error(`event ${e.eventId} of user ${e.userId} conflicted but cannot be read`);
      return { event: first, inserted: false };
    });
  }

  /**
   * Reads one event by its idempotency key, the pair (user_id, event_id).
   *
   * @param userId - the event's user.
   * @param eventId - the event's id.
   * @returns the event, or undefined when this user has no event with that id (another user's
   *   event with the same id is never returned).
   */
  async findByKey(userId: string, eventId: string): Promise<StoredEvent | undefined> {
    const res = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE user_id = $1 AND event_id = $2`, [
      userId,
      eventId,
    ]);
    return res.rows[0] ? toEvent(res.rows[0]) : undefined;
  }

  /**
   * Reads a page of a user's events, newest first (occurred_at DESC, then seq DESC), optionally of one
   * type, strictly after a keyset cursor (index `events_user_occurred_idx`).
   *
   * @param userId - the user.
   * @param type - the event type to keep, or undefined for all.
   * @param limit - the most events to return.
   * @param after - the last event of the previous page, or undefined for the first page.
   */
  async listByUser(
    userId: string,
    type: EventType | undefined,
    limit: number,
    after: UserEventsCursor | undefined,
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [userId, limit];
    let where = "user_id = $1";
    if (type !== undefined) {
      params.push(type);
      where += ` AND type = $${params.length}`;
    }
    if (after) {
      params.push(after.occurredAtKey, after.seq);
      where += ` AND (occurred_at, seq) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`;
    }
    const res = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE ${where} ORDER BY events.occurred_at DESC, events.seq DESC LIMIT $2`,
      params,
    );
    return res.rows.map(toEvent);
  }

  /**
   * Reads events in acceptance order (seq ascending) after a seq.
   *
   * Note: seq is assigned at insert, not at commit, so an event whose transaction commits after a
   * later-numbered one can appear behind a scan position that has already passed it.
   *
   * @param afterSeq - the last seq already seen (decimal string), or undefined to start at the oldest.
   * @param limit - the most events to return.
   */
  async scan(afterSeq: string | undefined, limit: number): Promise<StoredEvent[]> {
    const res = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE events.seq > $1::bigint ORDER BY events.seq LIMIT $2`,
      [afterSeq ?? "0", limit],
    );
    return res.rows.map(toEvent);
  }
}
