/**
 * Redis memory benchmark: `used_memory` before and after 1,000,000 engagement events over 100,000
 * distinct products, with the production defaults of the trending store (top N 10,000 per sorted
 * set, sorted-set TTL 7 days, dedup TTL 24 h, stats TTL 30 days, window buckets of one minute over τ
 * = 1 h), and the breakdown by key family; then, with every TTL shortened to a few seconds, that
 * memory returns to where it started once they pass: nothing is kept without a bound.
 *
 * The events are applied with `RedisTrendingStore.applyBatch` (the Lua script the trending consumer
 * runs, pipelined 1,000 at a time) on a private Redis (port 26412, data in .run/bench-redis-memory):
 * PostgreSQL, Kafka and the services are not needed to measure what Redis keeps. Events are spread
 * over the last hour; every product has 1 to 3 of 20 categories.
 *
 * Usage: `npm run bench:redis-memory -- [events=1000000] [products=100000]`.
 */
import path from "node:path";
import { Redis } from "ioredis";
import { EventType } from "../gen/recsys/engagement/v1/event_pb.js";
import { REPO_ROOT } from "../scripts/infra/paths.js";
import { startRedis } from "../scripts/infra/redis.js";
import { RedisTrendingStore, type RedisTrendingStoreOptions } from "../services/recommendation/src/storage/trending/redis-trending-store.js";
import type { TrendingEvent } from "../services/recommendation/src/storage/trending/trending-store.js";
import { printMachine } from "./support/machine.js";

const totalEvents = Number(process.argv[2] ?? 1_000_000);
const productCount = Number(process.argv[3] ?? 100_000);
const REDIS_PORT = 46_412;
const CATEGORIES = Array.from({ length: 20 }, (_, i) => `Genre ${i}`);
const TYPES = [EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.DISLIKE, EventType.RATE];

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

/** Applies `count` events over `products` products to a store, 4 pipelines of 1,000 in flight. */
async function applyEvents(store: RedisTrendingStore, prefix: string, count: number, products: number): Promise<number> {
  const random = prng(42);
  const now = Date.now();
  let next = 0;
  let reported = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const from = next;
        if (from >= count) return;
        next = Math.min(count, from + 1_000);
        const events: TrendingEvent[] = [];
        for (let i = from; i < next; i++) {
          // Skewed popularity (a few products get most events), as engagement usually is.
          const product = Math.floor(products * random() ** 2);
          events.push({
            eventId: `${prefix}${i}`,
            userId: `u${i % 5_000}`,
            productId: `p${product}`,
            categories: categoriesOf(product),
            type: TYPES[i % TYPES.length]!,
            occurredAtMs: now - Math.floor(random() * 3_600_000),
          });
        }
        await store.applyBatch(events);
        const done = Math.floor(next / 100_000) * 100_000;
        if (done > reported) {
          reported = done;
          process.stdout.write(`  ${done.toLocaleString("en-US")} events applied\r`);
        }
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** Counts the keys of each family (the part after the prefix, up to the first ':'), with SCAN. */
async function keyFamilies(redis: Redis, prefix: string): Promise<Map<string, { keys: number; sample: string[] }>> {
  const families = new Map<string, { keys: number; sample: string[] }>();
  let cursor = "0";
  do {
    const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 10_000);
    cursor = nextCursor;
    for (const key of keys) {
      const rest = key.slice(prefix.length);
      const family = rest.startsWith("trending:") ? (rest.startsWith("trending:cat:") ? "trending:cat:*" : rest) : rest.slice(0, rest.indexOf(":") + 1) + "*";
      const f = families.get(family) ?? { keys: 0, sample: [] };
      f.keys += 1;
      if (f.sample.length < 200) f.sample.push(key);
      families.set(family, f);
    }
  } while (cursor !== "0");
  return families;
}

printMachine();
const dataDir = path.join(REPO_ROOT, ".run", "bench-redis-memory");
const server = await startRedis({ dataDir, port: REDIS_PORT, logFile: path.join(dataDir, "logs", "redis.log"), reset: true });
const redis = new Redis(server.url);
try {
  console.log(`redis-memory: ${totalEvents.toLocaleString("en-US")} events over ${productCount.toLocaleString("en-US")} products, ${CATEGORIES.length} categories`);
  const version = /redis_version:(\S+)/.exec(await redis.info("server"))![1];
  const before = await usedMemory(redis);
  const defaults: RedisTrendingStoreOptions = { prefix: "recsys:" };
  const rate = await applyEvents(new RedisTrendingStore(redis, defaults), "mem-", totalEvents, productCount);
  const after = await usedMemory(redis);
  console.log("");
  console.log(`Redis ${version}; applied at ${Math.round(rate).toLocaleString("en-US")} events/s (Lua script, pipelines of 1,000)`);
  console.log(`used_memory before: ${mib(before)}; after: ${mib(after)} (+${mib(after - before)}, ${((after - before) / totalEvents).toFixed(0)} bytes per event)`);

  console.log("keys by family (MEMORY USAGE of up to 200 sampled keys × count; TTL of the sample):");
  for (const [family, f] of [...(await keyFamilies(redis, "recsys:"))].sort((a, b) => b[1].keys - a[1].keys)) {
    let bytes = 0;
    let withoutTtl = 0;
    for (const key of f.sample) {
      bytes += Number((await redis.memory("USAGE", key)) ?? 0);
      if ((await redis.pttl(key)) === -1) withoutTtl += 1;
    }
    const estimate = (bytes / f.sample.length) * f.keys;
    const cardinality = family.startsWith("trending:") && family !== "trending:t0" && family !== "trending:keys" && family !== "trending:coverage"
      ? ` (members: ${(await Promise.all(f.sample.map((k) => redis.zcard(k)))).reduce((m, n) => Math.max(m, n), 0).toLocaleString("en-US")} at most)`
      : "";
    console.log(
      `  ${family.padEnd(18)} ${f.keys.toLocaleString("en-US").padStart(10)} keys ≈ ${mib(estimate).padStart(10)}; ` +
        `${withoutTtl === 0 ? "all with TTL" : `${withoutTtl} of ${f.sample.length} sampled without TTL`}${cardinality}`,
    );
  }
  console.log("  bounds: sorted sets ≤ top N (10,000) members each, one per category + all; dedup keys = events of the last 24 h;");
  console.log("          stats hashes = products with an event in the last 30 days; window buckets ≤ 61 per product active in the last hour.");

  // Expiry: the same load with every TTL a few seconds long, on another prefix; memory comes back.
  const expiryEvents = Math.min(totalEvents, 200_000);
  const baseline = await usedMemory(redis);
  const short: RedisTrendingStoreOptions = { prefix: "short:", keyTtlSeconds: 3, statsTtlSeconds: 3, windowSeconds: 3, windowBucketSeconds: 1 };
  await applyEvents(new RedisTrendingStore(redis, short), "short-", expiryEvents, productCount);
  const loaded = await usedMemory(redis);
  const waitStarted = Date.now();
  let remaining = (await keyFamilies(redis, "short:")).size;
  while (Date.now() - waitStarted < 120_000) {
    await new Promise((r) => setTimeout(r, 1_000));
    let count = 0;
    for (const f of (await keyFamilies(redis, "short:")).values()) count += f.keys;
    remaining = count;
    if (count <= 2) break; // the landmark t0 and the coverage hash have no TTL by design
  }
  const expired = await usedMemory(redis);
  console.log("");
  console.log(
    `expiry: ${expiryEvents.toLocaleString("en-US")} events with 3 s TTLs added ${mib(loaded - baseline)}; ` +
      `${((Date.now() - waitStarted) / 1000).toFixed(0)} s later ${remaining} of their keys remain and used_memory is ${mib(expired)} ` +
      `(${mib(expired - baseline)} above the level before them)`,
  );
} finally {
  redis.disconnect();
  await server.stop();
}
