/**
 * Redis memory benchmark: `used_memory` and the breakdown by key family after 1,000,000, 5,000,000
 * and 10,000,000 engagement events over 100,000 distinct products, with the production defaults of
 * the trending store (top N 10,000 per sorted set, sorted-set TTL 7 days, stats TTL 30 days, window
 * buckets of one minute over τ = 1 h, per-account cap per hour, dedup window 20,000 per partition);
 * then, with every TTL shortened to a few seconds, that the keys with a TTL are gone once they pass.
 *
 * The events carry synthetic log positions as the trending consumer gives them: topic
 * `engagement-events`, partition i mod 3 and increasing offsets per partition, so the deduplication
 * state is the watermark hash (one field per partition) and one window per partition: it stays the
 * same size from the first million events on. For comparison, the per-event dedup keys this layout
 * replaced (`seen:<len>:<user>:<event id>`, SET EX 24 h) are measured on 100,000 such keys and
 * extrapolated.
 *
 * The events are applied with `RedisTrendingStore.applyBatch` (the Lua script the trending consumer
 * runs, pipelined 1,000 at a time, 4 pipelines in flight on one connection, so each partition's
 * offsets arrive in order) on a private Redis (port 46412, data in .run/bench-redis-memory):
 * PostgreSQL, Kafka and the services are not needed to measure what Redis keeps. Event times are
 * spread over the hour before each event is applied (so all 10,000,000 fall in about one hour of
 * event time: the families bounded by time, not count, hold what a rate of 10 M events an hour
 * keeps); every product has 1 to 3 of 20 categories; 5,000 users.
 *
 * Usage: `npm run bench:redis-memory -- [events=10000000] [products=100000]`; the breakdown is
 * printed after 1 M, 5 M and the last event (those of the checkpoints below the total).
 */
import path from "node:path";
import { Redis } from "ioredis";
import { EventType } from "../gen/recsys/engagement/v1/event_pb.js";
import { REPO_ROOT } from "../scripts/infra/paths.js";
import { startRedis } from "../scripts/infra/redis.js";
import { RedisTrendingStore, type RedisTrendingStoreOptions } from "../services/recommendation/src/storage/trending/redis-trending-store.js";
import type { TrendingEvent } from "../services/recommendation/src/storage/trending/trending-store.js";
import { printMachine } from "./support/machine.js";

const totalEvents = Number(process.argv[2] ?? 10_000_000);
const productCount = Number(process.argv[3] ?? 100_000);
if (!Number.isSafeInteger(totalEvents) || totalEvents < 1 || !Number.isSafeInteger(productCount) || productCount < 1) {
  throw new Error(`usage: npm run bench:redis-memory -- [events ≥ 1] [products ≥ 1], got ${process.argv.slice(2).join(" ")}`);
}
const REDIS_PORT = 46_412;
const TOPIC = "engagement-events";
const PARTITIONS = 3;
const USERS = 5_000;
const CATEGORIES = Array.from({ length: 20 }, (_, i) => `Genre ${i}`);
const TYPES = [EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.DISLIKE, EventType.RATE];
const CHECKPOINTS = [...new Set([1_000_000, 5_000_000, totalEvents].filter((n) => n <= totalEvents))];

/** A deterministic pseudo-random sequence (mulberry32), so runs are comparable. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function categoriesOf(product: number): string[] {
  const n = 1 + (product % 3);
  return Array.from({ length: n }, (_, i) => CATEGORIES[(product * 7 + i * 3) % CATEGORIES.length]!);
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const count = (n: number): string => n.toLocaleString("en-US");

/**
 * Applies events `from` to `to` − 1 (event i: partition i mod 3, offset ⌊i / 3⌋) over `products`
 * products, 4 pipelines of 1,000 in flight.
 *
 * @returns how many the store applied (each exactly once: none is a duplicate) and the rate, events/s.
 */
async function applyEvents(
  store: RedisTrendingStore,
  prefix: string,
  from: number,
  to: number,
  products: number,
  random: () => number,
): Promise<{ applied: number; rate: number }> {
  let next = from;
  let applied = 0;
  let reported = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const first = next;
        if (first >= to) return;
        next = Math.min(to, first + 1_000);
        const now = Date.now();
        const events: TrendingEvent[] = [];
        for (let i = first; i < next; i++) {
          // Skewed popularity (a few products get most events), as engagement usually is.
          const product = Math.floor(products * random() ** 2);
          events.push({
            eventId: `${prefix}${i}`,
            userId: `u${i % USERS}`,
            productId: `p${product}`,
            categories: categoriesOf(product),
            type: TYPES[i % TYPES.length]!,
            occurredAtMs: now - Math.floor(random() * 3_600_000),
            source: { topic: TOPIC, partition: i % PARTITIONS, offset: Math.floor(i / PARTITIONS) },
          });
        }
        // Called without an await in between since the chunk was taken: the pipelines reach Redis
        // in chunk order, so every partition's offsets increase.
        const newlyApplied = await store.applyBatch(events);
        applied += newlyApplied;
        const done = Math.floor(next / 100_000) * 100_000;
        if (done > reported) {
          reported = done;
          process.stdout.write(`  ${count(done)} events applied\r`);
        }
      }
    }),
  );
  return { applied, rate: (to - from) / ((performance.now() - started) / 1000) };
}

/** The family of a key: `trending:*` keys by name (categories and dedup windows grouped), others up to their first ':'. */
function familyOf(rest: string): string {
  if (rest.startsWith("trending:cat:")) return "trending:cat:*";
  if (rest.startsWith("trending:dedup:")) return "trending:dedup:*";
  if (rest.startsWith("trending:")) return rest;
  return rest.slice(0, rest.indexOf(":") + 1) + "*";
}

/** Counts the keys of each family with SCAN, keeping up to 200 of each as a sample. */
async function keyFamilies(redis: Redis, prefix: string): Promise<Map<string, { keys: number; sample: string[] }>> {
  const families = new Map<string, { keys: number; sample: string[] }>();
  let cursor = "0";
  do {
    const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 10_000);
    cursor = nextCursor;
    for (const key of keys) {
      const family = familyOf(key.slice(prefix.length));
      const f = families.get(family) ?? { keys: 0, sample: [] };
      f.keys += 1;
      if (f.sample.length < 200) f.sample.push(key);
      families.set(family, f);
    }
  } while (cursor !== "0");
  return families;
}

/** Prints used_memory and, per family, keys, estimated bytes (MEMORY USAGE of the sample × keys), TTLs and the largest member count. */
async function printBreakdown(redis: Redis, prefix: string, events: number, before: number): Promise<void> {
  const used = await usedMemory(redis);
  console.log(`after ${count(events)} events: used_memory ${mib(used)} (+${mib(used - before)} over the empty server)`);
  for (const [family, f] of [...(await keyFamilies(redis, prefix))].sort((a, b) => b[1].keys - a[1].keys)) {
    let bytes = 0;
    let withoutTtl = 0;
    let largest = 0;
    for (const key of f.sample) {
      bytes += Number((await redis.memory("USAGE", key)) ?? 0);
      if ((await redis.pttl(key)) === -1) withoutTtl += 1;
      const type = await redis.type(key);
      const members = type === "zset" ? await redis.zcard(key) : type === "hash" ? await redis.hlen(key) : type === "set" ? await redis.scard(key) : 0;
      largest = Math.max(largest, members);
    }
    const estimate = (bytes / f.sample.length) * f.keys;
    const ttl = withoutTtl === 0 ? "TTL" : withoutTtl === f.sample.length ? "no TTL" : `${withoutTtl}/${f.sample.length} no TTL`;
    console.log(
      `  ${family.padEnd(18)} ${count(f.keys).padStart(10)} keys ≈ ${mib(estimate).padStart(10)}; ${ttl.padEnd(7)}` +
        (largest > 0 ? ` ≤ ${count(largest)} members/fields per key` : ""),
    );
  }
}

/** Bytes per key of the replaced per-event dedup keys (`seen:<len>:<user>:<event id>`, SET NX EX 86400), measured on 100,000 of them. */
async function oldDedupKeyBytes(redis: Redis): Promise<number> {
  const keys = Array.from({ length: 100_000 }, (_, i) => `recsys:seen:${`u${i % USERS}`.length}:u${i % USERS}:mem-${i}`);
  const before = await usedMemory(redis);
  for (let from = 0; from < keys.length; from += 1_000) {
    const p = redis.pipeline();
    for (const key of keys.slice(from, from + 1_000)) p.set(key, "1", "EX", 86_400, "NX");
    await p.exec();
  }
  const perKey = ((await usedMemory(redis)) - before) / keys.length;
  for (let from = 0; from < keys.length; from += 1_000) await redis.del(...keys.slice(from, from + 1_000));
  return perKey;
}

printMachine();
const dataDir = path.join(REPO_ROOT, ".run", "bench-redis-memory");
const server = await startRedis({ dataDir, port: REDIS_PORT, logFile: path.join(dataDir, "logs", "redis.log"), reset: true });
const redis = new Redis(server.url);
const wallStarted = performance.now();
try {
  console.log(
    `redis-memory: ${count(totalEvents)} events over ${count(productCount)} products, ${CATEGORIES.length} categories, ` +
      `${count(USERS)} users, ${PARTITIONS} partitions of ${TOPIC} with increasing offsets`,
  );
  const version = /redis_version:(\S+)/.exec(await redis.info("server"))![1];
  const before = await usedMemory(redis);
  console.log(`Redis ${version}; used_memory of the empty server: ${mib(before)}`);
  const defaults: RedisTrendingStoreOptions = { prefix: "recsys:" };
  const store = new RedisTrendingStore(redis, defaults);
  const random = prng(42);
  let done = 0;
  let applied = 0;
  for (const checkpoint of CHECKPOINTS) {
    const step = await applyEvents(store, "mem-", done, checkpoint, productCount, random);
    applied += step.applied;
    done = checkpoint;
    console.log("");
    console.log(`applied ${count(applied)} of ${count(done)} (Lua script, pipelines of 1,000) at ${count(Math.round(step.rate))} events/s`);
    await printBreakdown(redis, "recsys:", done, before);
  }
  const watermarks = await redis.hgetall(store.watermarksKey);
  console.log(`  watermarks: ${Object.entries(watermarks).map(([field, offset]) => `${field}=${count(Number(offset))}`).join(", ")}`);
  const oldPerKey = await oldDedupKeyBytes(redis);
  console.log(
    `  the replaced per-event dedup keys measure ${oldPerKey.toFixed(0)} bytes each (100,000 SET NX EX keys): ` +
      `${mib(oldPerKey * totalEvents)} for these ${count(totalEvents)} events, kept 24 h`,
  );
  console.log("  bounds: trending:dedup:* = 20,000 entries per partition and trending:applied = one field per partition, whatever the traffic;");
  console.log("          sorted sets ≤ top N (10,000) members each, one per category + all; stats hashes = products with an event in 30 days;");
  console.log("          window buckets ≤ 61 per product active in the last hour; cap hashes = distinct (user, product) pairs of about two hours.");

  // Expiry: the same load with every TTL a few seconds long, on another prefix; only the keys
  // without TTL by design (landmark, watermarks, dedup windows: bounded by count) remain.
  const expiryEvents = Math.min(totalEvents, 200_000);
  const baseline = await usedMemory(redis);
  const short: RedisTrendingStoreOptions = { prefix: "short:", keyTtlSeconds: 3, statsTtlSeconds: 3, windowSeconds: 3, windowBucketSeconds: 1, userCapWindowSeconds: 3 };
  await applyEvents(new RedisTrendingStore(redis, short), "short-", 0, expiryEvents, productCount, prng(7));
  const loaded = await usedMemory(redis);
  const waitStarted = Date.now();
  let remaining: string[] = [];
  while (Date.now() - waitStarted < 120_000) {
    await new Promise((r) => setTimeout(r, 1_000));
    remaining = [];
    for (const [family, f] of await keyFamilies(redis, "short:")) remaining.push(`${family} ${f.keys}`);
    if (remaining.every((r) => /^trending:(t0|applied|dedup:\*) /.test(r))) break;
  }
  const expired = await usedMemory(redis);
  console.log("");
  console.log(
    `expiry: ${count(expiryEvents)} events with 3 s TTLs added ${mib(loaded - baseline)}; ` +
      `${((Date.now() - waitStarted) / 1000).toFixed(0)} s later the keys left are ${remaining.join(", ")} and used_memory is ${mib(expired)} ` +
      `(${mib(expired - baseline)} above the level before them)`,
  );
  console.log(`wall time: ${((performance.now() - wallStarted) / 1000).toFixed(0)} s`);
} finally {
  redis.disconnect();
  await server.stop();
}
