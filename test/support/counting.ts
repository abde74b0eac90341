import { randomBytes } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import type { RecommendationService } from "../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { RedisTrendingStore } from "../../services/recommendation/src/storage/trending/redis-trending-store.js";
import { TYPE_FIELD, zeroCounts, type TypeCounts } from "../../scripts/mesh-support/event-load.js";

/**
 * Reads the exact per-type counts the trending consumer keeps in Redis (the stats hashes behind
 * GetProductStats), with the default key prefix `recsys:`.
 *
 * @param redisUrl - the mesh's Redis.
 * @param productIds - the products.
 * @returns product id → counts (every requested id present).
 * @throws when Redis is unreachable.
 */
export async function redisCounts(redisUrl: string, productIds: readonly string[]): Promise<Map<string, TypeCounts>> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    const stats = await new RedisTrendingStore(redis).stats(productIds);
    return new Map([...stats].map(([id, c]) => [id, { ...c }]));
  } finally {
    redis.disconnect();
  }
}

/**
 * Differences between expected and actual counts, as readable lines (empty when equal).
 *
 * @param expected - product id → counts that must be seen.
 * @param actual - product id → counts seen (missing products count 0).
 */
export function countDiff(expected: ReadonlyMap<string, TypeCounts>, actual: ReadonlyMap<string, TypeCounts>): string[] {
  const lines: string[] = [];
  for (const [id, want] of expected) {
    const got = actual.get(id) ?? zeroCounts();
    for (const field of Object.keys(want) as (keyof TypeCounts)[]) {
      if (want[field] !== got[field]) lines.push(`product ${id} ${field}: expected ${want[field]}, got ${got[field]}`);
    }
  }
  return lines;
}

/**
 * Polls `read` until its counts equal `expected`, or the time runs out.
 *
 * @param read - reads the current counts (a failing read counts as "not yet").
 * @param expected - the counts that must be seen.
 * @param timeoutMs - how long to wait, in ms.
 * @returns the time it took, in ms.
 * @throws Error listing the differences (first 20) at the deadline.
 */
export async function waitForCounts(
  read: () => Promise<Map<string, TypeCounts>>,
  expected: ReadonlyMap<string, TypeCounts>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  let diff: string[] = ["never read"];
  for (;;) {
    try {
      diff = countDiff(expected, await read());
      if (diff.length === 0) return Date.now() - started;
    } catch (err) {
      diff = [`read failed: ${err instanceof Error ? err.message : String(err)}`];
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`counts differ after ${timeoutMs} ms:\n${diff.slice(0, 20).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One row of the engagement database's `events` table. */
export interface EventRow {
  readonly eventId: string;
  readonly productId: string;
  readonly type: number;
}

/**
 * Reads the engagement database: the events whose event_id starts with `prefix`, and the outbox rows
 * whose event-id header does, plus outbox rows whose event does not exist (none may).
 *
 * @param url - the engagement database URL.
 * @param prefix - the test's event id prefix (followed by '-').
 */
export async function engagementRows(
  url: string,
  prefix: string,
): Promise<{ events: EventRow[]; outbox: number; orphanOutbox: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const like = `${prefix}-%`;
    const events = await client.query<{ event_id: string; product_id: string; type: number }>(
      "SELECT event_id, product_id, type FROM events WHERE event_id LIKE $1",
      [like],
    );
    const outbox = await client.query<{ n: string }>("SELECT count(*)::text AS n FROM outbox WHERE headers->>'event-id' LIKE $1", [like]);
    const orphan = await client.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = o.headers->>'event-id')",
    );
    return {
      events: events.rows.map((r) => ({ eventId: r.event_id, productId: r.product_id, type: r.type })),
      outbox: Number(outbox.rows[0]?.n ?? 0),
      orphanOutbox: Number(orphan.rows[0]?.n ?? 0),
    };
  } finally {
    await client.end();
  }
}

/**
 * Reads a whole topic from the beginning (a fresh consumer group, up to the high-water marks
 * measured at the start) and counts the messages per `event-id` header starting with `prefix`.
 *
 * @param brokers - Kafka bootstrap servers.
 * @param topic - the topic (normally `engagement-events`).
 * @param prefix - the test's event id prefix (followed by '-').
 * @param timeoutMs - how long reading may take, in ms (default 30000).
 * @returns event id → number of messages carrying it.
 * @throws Error when the topic cannot be read to its end in time.
 */
export async function kafkaEventIds(
  brokers: readonly string[],
  topic: string,
  prefix: string,
  timeoutMs = 30_000,
): Promise<Map<string, number>> {
  const kafka = new Kafka({ clientId: "fault-test-reader", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const counts = new Map<string, number>();
  if (remaining.size === 0) return counts;
  const consumer = kafka.consumer({ groupId: `fault-test-reader-${randomBytes(4).toString("hex")}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const finished = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const id = message.headers?.["event-id"]?.toString() ?? "";
          if (id.startsWith(`${prefix}-`)) counts.set(id, (counts.get(id) ?? 0) + 1);
          const end = remaining.get(partition);
          if (end !== undefined && Number(message.offset) + 1 >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`topic ${topic} not read to its end in ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

/**
 * Reads the exact all-time per-type counts through GetProductStats (what the fault tests compare
 * against what was accepted), one call per product with a 3 s deadline.
 *
 * @param client - a RecommendationService client.
 * @param productIds - the products.
 * @returns product id → counts.
 * @throws the RPC's ConnectError (for example UNAVAILABLE while Redis is down).
 */
export async function serviceCounts(
  client: Client<typeof RecommendationService>,
  productIds: readonly string[],
): Promise<Map<string, TypeCounts>> {
  const out = new Map<string, TypeCounts>();
  for (const productId of productIds) {
    const res = await client.getProductStats({ productId }, { timeoutMs: 3_000 });
    const counts = zeroCounts();
    for (const c of res.allTime) {
      const field = TYPE_FIELD[c.type];
      if (field) counts[field] = Number(c.count);
    }
    out.set(productId, counts);
  }
  return out;
}
