import type pg from "pg";

/** A message to publish, as written to the outbox table in the transaction of the change it announces. */
export interface OutboxMessage {
  /** The Kafka topic. */
  readonly topic: string;
  /** The Kafka message key (the partitioning key), or null for none. */
  readonly key: string | null;
  /** The message value (serialised protobuf). */
  readonly payload: Uint8Array;
  /** Kafka headers, for example `{ "event-id": "…" }`. */
  readonly headers: Readonly<Record<string, string>>;
}

/** An outbox row waiting to be published. */
export interface OutboxRow extends OutboxMessage {
  /** The row id (bigserial, as a decimal string): publication order. */
  readonly id: string;
  /** When the row was committed (transaction start time). */
  readonly createdAt: Date;
}

/**
 * Inserts a message into the outbox. Must run in the caller's transaction, so that the message
 * exists if and only if the change it announces was committed. The table's trigger NOTIFYs
 * channel `outbox` at commit.
 *
 * @param client - a client inside an open transaction.
 * @param message - the message.
 */
export async function insertOutboxMessage(client: pg.ClientBase, message: OutboxMessage): Promise<void> {
  await client.query("INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4)", [
    message.topic,
    message.key,
    Buffer.from(message.payload),
    JSON.stringify(message.headers),
  ]);
}

/**
 * Inserts many messages into the outbox with one statement (`INSERT … SELECT FROM unnest(…)`), in
 * the given order (row ids follow it, so the relay publishes them in that order). Must run in the
 * caller's transaction, like {@link insertOutboxMessage}.
 *
 * @param client - a client inside an open transaction.
 * @param messages - the messages; nothing is sent for an empty list.
 */
export async function insertOutboxMessages(client: pg.ClientBase, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await client.query(
    `INSERT INTO outbox (topic, key, payload, headers)
     SELECT topic, key, payload, headers
       FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[]) WITH ORDINALITY AS m(topic, key, payload, headers, n)
      ORDER BY n`,
    [
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => Buffer.from(m.payload)),
      messages.map((m) => JSON.stringify(m.headers)),
    ],
  );
}

/**
 * Locks the oldest outbox rows that no other relay holds (`FOR UPDATE SKIP LOCKED`), so several relays
 * can run without publishing a row twice concurrently. Must run in a transaction, which keeps the rows
 * locked until it ends.
 *
 * @param client - a client inside an open transaction.
 * @param limit - the most rows to lock.
 * @returns the rows in id order.
 */
export async function lockOutboxBatch(client: pg.ClientBase, limit: number): Promise<OutboxRow[]> {
  // ORDER BY must name the bigint column (outbox.id), not the text output alias `id`.
  const res = await client.query<{
    id: string;
    topic: string;
    key: string | null;
    payload: Buffer;
    headers: Record<string, string>;
    created_at: Date;
  }>(
    `SELECT id::text AS id, topic, key, payload, headers, created_at
       FROM outbox ORDER BY outbox.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return res.rows.map((r) => ({
    id: r.id,
    topic: r.topic,
    key: r.key,
    payload: r.payload,
    headers: r.headers,
    createdAt: r.created_at,
  }));
}

/**
 * Deletes published outbox rows (in the transaction that locked them).
 *
 * @param client - the client whose transaction locked the rows.
 * @param ids - the row ids.
 */
export async function deleteOutboxRows(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  await client.query("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [ids]);
}

/**
 * Counts the outbox rows not yet published.
 *
 * @param db - a pool or client.
 */
export async function countOutboxRows(db: pg.Pool | pg.ClientBase): Promise<number> {
  const res = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM outbox");
  return Number(res.rows[0]?.n ?? 0);
}
