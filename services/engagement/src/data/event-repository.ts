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
  /** The recommendation list the event came from (`recommendation_id`), or undefined for none. */
  readonly recommendationId?: string;
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
 * Thrown by the event inserts when some of the events' users were deleted
 * (EngagementService.DeleteUserEvents, table `user_deletions`); nothing was written.
 */
export class DeletedUsersError extends Error {
  /** @param userIds - the deleted users among the events' users. */
  constructor(readonly userIds: ReadonlySet<string>) {
    super(`users deleted: ${[...userIds].join(", ")}`);
    this.name = "DeletedUsersError";
  }
}

/** What {@link EventRepository.deleteUserWithOutbox} did. */
export interface UserDeletionResult {
  /** Events deleted now (0 when the user had been deleted before). */
  readonly deletedEvents: number;
  /** When the deletion was first recorded. */
  readonly deletedAt: Date;
  /** true when this call recorded the deletion (and queued its message); false for a repeat. */
  readonly first: boolean;
}

/**
 * Advisory lock class of per-user locks (`pg_advisory_xact_lock(class, hashtext(user_id))`): event
 * inserts take the user's lock shared, a user deletion takes it exclusive, so an insert either
 * commits before the deletion's DELETE (and is deleted with the rest) or sees its record (and is
 * refused). Hash collisions only make unrelated users wait for each other's deletion.
 */
const USER_LOCK_CLASS = 10_003;

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
const COLUMNS = `seq::text AS seq, event_id, user_id, product_id, type, value, occurred_at, accepted_at, recommendation_id,
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
  recommendation_id: string | null;
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
    ...(r.recommendation_id !== null ? { recommendationId: r.recommendation_id } : {}),
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
   * Before anything, it takes the user's advisory lock shared and checks `user_deletions`: an
   * event of a deleted user is not written.
   *
   * @returns the stored event and whether it was inserted now.
   * @throws DeletedUsersError when the user was deleted; the database's error (connection failures
   *   are mapped to UNAVAILABLE by the server).
   */
  async insertWithOutbox(event: NewEvent, outboxMessage: (stored: StoredEvent) => OutboxMessage): Promise<InsertResult> {
    return withTransaction(this.pool, async (client) => {
      const deleted = await lockUsersShared(client, [event.userId]);
      if (deleted.size > 0) throw new DeletedUsersError(deleted);
      const res = await client.query<EventRow>(
        `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at, recommendation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, event_id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [event.eventId, event.userId, event.productId, event.type, event.value, event.occurredAt, event.recommendationId ?? null],
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
   * First the users' advisory locks are taken shared (in id order, so batches cannot deadlock) and
   * users in `user_deletions` looked up: if any of them was deleted, nothing is written.
   *
   * @returns one result per event, in the order given.
   * @throws DeletedUsersError naming the deleted users (the caller drops their events and retries);
   *   the database's error (nothing is written then).
   */
  async insertManyWithOutbox(
    events: readonly NewEvent[],
    outboxMessage: (stored: StoredEvent) => OutboxMessage,
  ): Promise<InsertResult[]> {
    if (events.length === 0) return [];
    const { inserted, earlier } = await withTransaction(this.pool, async (client) => {
      const deleted = await lockUsersShared(client, events.map((e) => e.userId));
      if (deleted.size > 0) throw new DeletedUsersError(deleted);
      const res = await client.query<EventRow>(
        `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at, recommendation_id)
         SELECT event_id, user_id, product_id, type, value, occurred_at, recommendation_id
           FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::float8[], $6::timestamptz[], $7::text[])
                AS e(event_id, user_id, product_id, type, value, occurred_at, recommendation_id)
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
          events.map((e) => e.recommendationId ?? null),
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
   * Deletes every event of a user and records the deletion, in one transaction: the user's advisory
   * lock exclusive (waiting for event inserts of the user in flight), `INSERT INTO user_deletions …
   * ON CONFLICT DO NOTHING`, `DELETE FROM events WHERE user_id = $1 RETURNING …`, and, only when the
   * deletion is new, the user id cleared from their impressions (kept, anonymous, for the
   * click-through counts) and the outbox message built from the deleted events accepted since `since` (the
   * `maxAnnounced` newest, returned oldest first), so the deletion record, the emptied history and
   * the Kafka announcement are committed together or not at all. A repeat finds the record, deletes
   * whatever is left (nothing, since inserts check the record) and queues nothing.
   *
   * @param userId - the user.
   * @param since - the oldest acceptance time of the events handed to `outboxMessage` (the topic's
   *   retention: older events cannot be in any consumer's state from the log).
   * @param maxAnnounced - the most events handed to `outboxMessage`.
   * @param outboxMessage - builds the deletion message from the deletion time and those events.
   * @returns the number of events deleted, when the deletion was recorded, and whether it was now.
   * @throws the database's error (nothing is written then).
   */
  async deleteUserWithOutbox(
    userId: string,
    since: Date,
    maxAnnounced: number,
    outboxMessage: (deletedAt: Date, announced: readonly StoredEvent[]) => OutboxMessage,
  ): Promise<UserDeletionResult> {
    return withTransaction(this.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [USER_LOCK_CLASS, userId]);
      const recorded = await client.query<{ deleted_at: Date }>(
        "INSERT INTO user_deletions (user_id, deleted_events) VALUES ($1, 0) ON CONFLICT (user_id) DO NOTHING RETURNING deleted_at",
        [userId],
      );
      const res = await client.query<EventRow & { total: string }>(
        `WITH gone AS (DELETE FROM events WHERE user_id = $1 RETURNING *),
              total AS (SELECT count(*)::text AS total FROM gone)
         SELECT total.total, recent.* FROM total LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM gone WHERE gone.accepted_at >= $2 ORDER BY gone.seq DESC LIMIT $3
         ) recent ON true`,
        [userId, since, maxAnnounced],
      );
      const deletedEvents = Number(res.rows[0]?.total ?? 0);
      const first = recorded.rows[0];
      if (!first) {
        const { rows } = await client.query<{ deleted_at: Date }>("SELECT deleted_at FROM user_deletions WHERE user_id = $1", [userId]);
        if (deletedEvents > 0) {
          await client.query("UPDATE user_deletions SET deleted_events = deleted_events + $2 WHERE user_id = $1", [userId, deletedEvents]);
        }
        return { deletedEvents, deletedAt: rows[0]!.deleted_at, first: false };
      }
      await client.query("UPDATE user_deletions SET deleted_events = $2 WHERE user_id = $1", [userId, deletedEvents]);
      // The user's impressions stay for the anonymous click-through counts, without the user id.
      await client.query("UPDATE impressions SET user_id = NULL WHERE user_id = $1", [userId]);
      const announced = res.rows.filter((r) => r.seq !== null).map(toEvent).reverse();
      await insertOutboxMessage(client, outboxMessage(first.deleted_at, announced));
      return { deletedEvents, deletedAt: first.deleted_at, first: true };
    });
  }

  /**
   * Reads a page of recorded user deletions in user_id order (the primary key's index).
   *
   * @param afterUserId - the last user id of the previous page, or undefined for the first page.
   * @param since - keep only deletions recorded at or after this time, or undefined for all.
   * @param limit - the most deletions to return.
   */
  async listDeletions(afterUserId: string | undefined, since: Date | undefined, limit: number): Promise<{ userId: string; deletedAt: Date }[]> {
    const { rows } = await this.pool.query<{ user_id: string; deleted_at: Date }>(
      `SELECT user_id, deleted_at FROM user_deletions
        WHERE ($1::text IS NULL OR user_id > $1) AND ($2::timestamptz IS NULL OR deleted_at >= $2)
        ORDER BY user_id LIMIT $3`,
      [afterUserId ?? null, since ?? null, limit],
    );
    return rows.map((r) => ({ userId: r.user_id, deletedAt: r.deleted_at }));
  }

  /**
   * Tells whether a user's events were deleted (the user is in `user_deletions`).
   *
   * @param userId - the user.
   * @returns when the deletion was recorded, or undefined.
   */
  async deletedAt(userId: string): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ deleted_at: Date }>("SELECT deleted_at FROM user_deletions WHERE user_id = $1", [userId]);
    return rows[0]?.deleted_at;
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

/**
 * Takes the advisory locks of users shared (in id order, one statement) and tells which of them
 * were deleted. Runs inside the caller's transaction; the locks are held until it ends.
 *
 * @param client - a client inside an open transaction.
 * @param userIds - the users (repeats allowed).
 * @returns the ids found in `user_deletions`.
 */
export async function lockUsersShared(client: pg.ClientBase, userIds: readonly string[]): Promise<Set<string>> {
  const ids = [...new Set(userIds)].sort();
  await client.query(
    "SELECT pg_advisory_xact_lock_shared($1, hashtext(u)) FROM (SELECT unnest($2::text[]) AS u ORDER BY 1) AS ids",
    [USER_LOCK_CLASS, ids],
  );
  const { rows } = await client.query<{ user_id: string }>("SELECT user_id FROM user_deletions WHERE user_id = ANY($1::text[])", [ids]);
  return new Set(rows.map((r) => r.user_id));
}
