import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../test/support/infra.js";
import { RedisTrendingStore, type ErasedEvent } from "../storage/trending/redis-trending-store.js";
import type { TrendingEvent } from "../storage/trending/trending-store.js";
import { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import { userStateConfigShape, userStateRules } from "../storage/user-state/user-state-config.js";
import { RedisUserErasure } from "./user-erasure.js";

// A user deletion applied to the real Redis stores: afterwards the statistics are those of the
// other users' events alone (the deleted user's contribution subtracted, capped events included),
// no key or value holds the user id, and a redelivered deletion subtracts nothing twice.

const FILE_PREFIX = `test:erasure:${randomBytes(4).toString("hex")}:`;
const NOW = Date.now();
const TOPIC = "engagement-events";

describe("RedisUserErasure (real Redis)", () => {
  let redis: Redis;
  let n = 0;

  function stores(prefix = `${FILE_PREFIX}${++n}:`): { prefix: string; trending: RedisTrendingStore; userState: RedisUserStateStore; erasure: RedisUserErasure } {
    const trending = new RedisTrendingStore(redis, { prefix, now: () => NOW });
    const userState = new RedisUserStateStore(redis, userStateRules(z.object(userStateConfigShape).parse({})), prefix);
    return { prefix, trending, userState, erasure: new RedisUserErasure(trending, userState) };
  }

  async function keysUnder(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return keys.sort();
  }

  /** Every key under the prefix whose name or value mentions `needle`. */
  async function mentions(prefix: string, needle: string): Promise<string[]> {
    const found: string[] = [];
    for (const key of await keysUnder(`${prefix}*`)) {
      const type = await redis.type(key);
      const values =
        type === "hash" ? Object.entries(await redis.hgetall(key)).flat()
        : type === "zset" ? await redis.zrange(key, 0, -1)
        : type === "set" ? await redis.smembers(key)
        : type === "string" ? [(await redis.get(key)) ?? ""]
        : [];
      if (key.includes(needle) || values.some((v) => v.includes(needle))) found.push(key);
    }
    return found;
  }

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await keysUnder(`${FILE_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  let offset = 0;
  const event = (userId: string, productId: string, type: EventType, atMs: number, value = 0): TrendingEvent => ({
    eventId: `e${++offset}`,
    userId,
    productId,
    categories: ["Comedy"],
    type,
    value,
    occurredAtMs: atMs,
    source: { topic: TOPIC, partition: 0, offset },
  });
  const erased = (e: TrendingEvent): ErasedEvent => ({ eventId: e.eventId, productId: e.productId, type: e.type, occurredAtMs: e.occurredAtMs, acceptedAtMs: e.occurredAtMs });

  it("subtracts exactly the deleted user's counted events (the cap included) and removes every trace of the user", async () => {
    const gone = "gone-user-1";
    const others = [event("u2", "p1", EventType.CLICK, NOW - 60_000), event("u3", "p1", EventType.LIKE, NOW - 30_000), event("u2", "p2", EventType.RATE, NOW - 10_000, 4)];
    // Five clicks on p1 in one hour: the cap (3) lets three raise the score; a like on p2, a rating on p3.
    const mine = [
      ...Array.from({ length: 5 }, (_, i) => event(gone, "p1", EventType.CLICK, NOW - 50_000 + i * 1_000)),
      event(gone, "p2", EventType.LIKE, NOW - 20_000),
      event(gone, "p3", EventType.RATE, NOW - 5_000, 5),
    ];

    // What the statistics are with the other users' events only.
    const baseline = stores();
    await baseline.trending.applyBatch(others);
    const expectedScores = await baseline.trending.scores(["p1", "p2", "p3"]);
    const expectedComedy = await baseline.trending.top("Comedy", 10);
    const expectedStats = await baseline.trending.stats(["p1", "p2", "p3"]);

    const s = stores();
    const all = [...others.slice(0, 1), ...mine, ...others.slice(1)].sort((a, b) => a.source!.offset - b.source!.offset);
    await s.trending.applyBatch(all);
    await s.userState.applyBatch(all);
    expect((await mentions(s.prefix, gone)).length).toBeGreaterThan(0);

    expect(await s.erasure.erase({ userId: gone, events: mine.map(erased) }, { topic: TOPIC, partition: 0 })).toBe(true);

    const scores = await s.trending.scores(["p1", "p2", "p3"]);
    for (const id of ["p1", "p2", "p3"]) expect(scores.get(id)!).toBeCloseTo(expectedScores.get(id)!, 9);
    const comedy = await s.trending.top("Comedy", 10);
    expect(comedy.map((t) => t.productId)).toEqual(expectedComedy.map((t) => t.productId));
    expect(await s.trending.stats(["p1", "p2", "p3"])).toEqual(expectedStats);
    // p3 had only the deleted user's rating: it is gone from the sorted sets.
    expect(await redis.zscore(s.trending.trendingKey(), "p3")).toBeNull();
    expect(await mentions(s.prefix, gone)).toEqual([]);
    expect(await s.userState.deletedAmong([gone, "u2"])).toEqual(new Set([gone]));
    expect((await s.userState.version(gone)).deleted).toBe(true);

    // A redelivered deletion (the consumer crashed before committing) subtracts nothing twice.
    expect(await s.erasure.erase({ userId: gone, events: mine.map(erased) }, { topic: TOPIC, partition: 0 })).toBe(false);
    const again = await s.trending.scores(["p1", "p2"]);
    for (const id of ["p1", "p2"]) expect(again.get(id)!).toBeCloseTo(expectedScores.get(id)!, 9);
  });

  it("drops dedup entries of the user's events that the message does not list (older than the retention)", async () => {
    const gone = "gone:user*2";
    const s = stores();
    const old = event(gone, "p9", EventType.CLICK, NOW - 1_000);
    await s.trending.applyBatch([old, event("u2", "p9", EventType.CLICK, NOW - 500)]);
    await s.erasure.erase({ userId: gone, events: [] }, { topic: TOPIC, partition: 0 });
    const members = await redis.zrange(s.trending.dedupWindowKey({ topic: TOPIC, partition: 0 }), 0, -1);
    expect(members.some((m) => m.includes(gone))).toBe(false);
    expect(members.some((m) => m.includes("u2"))).toBe(true);
  });
});
