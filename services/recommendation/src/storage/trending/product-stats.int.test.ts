import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../../test/support/infra.js";
import { RedisTrendingStore, type RedisTrendingStoreOptions } from "./redis-trending-store.js";
import type { TrendingEvent } from "./trending-store.js";

/** A minute boundary, so bucket arithmetic in the cases below is easy to follow. */
const T = Date.UTC(2025, 0, 1, 12, 0, 0);
const MINUTE = 60_000;
const ZERO = { click: 0, view: 0, like: 0, dislike: 0, rate: 0 };

describe("RedisTrendingStore.productStats (real Redis)", () => {
  let redis: Redis;
  const prefixes: string[] = [];

  /** A store with its own key prefix and a hand-driven clock; τ = W = 10 minutes, 1-minute buckets. */
  function makeStore(options: RedisTrendingStoreOptions = {}) {
    const prefix = `test:stats:${randomBytes(4).toString("hex")}:`;
    prefixes.push(prefix);
    const clock = { now: T };
    const store = new RedisTrendingStore(redis, { tauSeconds: 600, prefix, now: () => clock.now, ...options });
    return { store, clock, prefix };
  }

  let seq = 0;
  // One user per event id (a redelivery repeats both), so the per-account cap never applies here.
  const event = (productId: string, type: EventType, occurredAtMs: number, eventId = `s${++seq}`): TrendingEvent => ({
    eventId,
    userId: `u-${eventId}`,
    productId,
    type,
    occurredAtMs,
    categories: ["Comedy"],
  });

  async function keys(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return found;
  }

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const found = await keys(`${prefix}*`);
      if (found.length > 0) await redis.del(...found);
    }
    redis.disconnect();
  });

  it("counts every type exactly, all time and in the window, each event_id once", async () => {
    const { store } = makeStore();
    await store.applyBatch([
      event("P", EventType.CLICK, T, "c1"),
      event("P", EventType.CLICK, T - 1_000, "c2"),
      event("P", EventType.VIEW, T - 2 * MINUTE),
      event("P", EventType.LIKE, T - 5 * MINUTE),
      event("P", EventType.DISLIKE, T),
      event("P", EventType.RATE, T - 9 * MINUTE),
      event("Q", EventType.CLICK, T),
    ]);
    // Redeliveries change nothing.
    await store.applyBatch([event("P", EventType.CLICK, T, "c1"), event("P", EventType.CLICK, T - 1_000, "c2")]);
    const stats = await store.productStats("P");
    const expected = { click: 2, view: 1, like: 1, dislike: 1, rate: 1 };
    expect(stats.allTime).toEqual(expected);
    expect(stats.window).toEqual(expected);
    expect(stats.windowSeconds).toBe(600);
    // Weights: CLICK 1, VIEW 1, LIKE 2, DISLIKE 0, RATE 1, each decayed by its age.
    const score = 1 + Math.exp(-1 / 600) + Math.exp(-2 / 10) + 2 * Math.exp(-5 / 10) + Math.exp(-9 / 10);
    expect(stats.trendingScore).toBeCloseTo(score, 9);
    expect(stats.trendingScore).toBeCloseTo((await store.scores(["P"])).get("P")!, 12);
    expect((await store.productStats("Q")).allTime).toEqual({ ...ZERO, click: 1 });
  });

  it("answers zeros for a product without events", async () => {
    const { store } = makeStore();
    expect(await store.productStats("nothing")).toEqual({ allTime: ZERO, window: ZERO, windowSeconds: 600, trendingScore: 0 });
  });

  it("lets events leave the window as time passes while the all-time counts stay", async () => {
    const { store, clock } = makeStore();
    await store.apply(event("W", EventType.CLICK, T - 9 * MINUTE)); // bucket T-9m
    await store.apply(event("W", EventType.CLICK, T - 3 * MINUTE)); // bucket T-3m
    await store.apply(event("W", EventType.VIEW, T)); // bucket T
    expect((await store.productStats("W")).window).toEqual({ ...ZERO, click: 2, view: 1 });

    // The window is the current bucket and the 10 before it: at T+1m59s, bucket T-9m is the oldest read.
    clock.now = T + 1 * MINUTE + 59_000;
    expect((await store.productStats("W")).window).toEqual({ ...ZERO, click: 2, view: 1 });
    clock.now = T + 2 * MINUTE;
    expect((await store.productStats("W")).window).toEqual({ ...ZERO, click: 1, view: 1 });
    clock.now = T + 8 * MINUTE;
    expect((await store.productStats("W")).window).toEqual({ ...ZERO, view: 1 });
    clock.now = T + 11 * MINUTE;
    const late = await store.productStats("W");
    expect(late.window).toEqual(ZERO);
    expect(late.allTime).toEqual({ ...ZERO, click: 2, view: 1 });
  });

  it("counts an event older than the window all time only, and a future one as now", async () => {
    const { store, prefix } = makeStore();
    await store.apply(event("O", EventType.CLICK, T - 11 * MINUTE));
    await store.apply(event("O", EventType.LIKE, T + 3_600_000));
    const stats = await store.productStats("O");
    expect(stats.allTime).toEqual({ ...ZERO, click: 1, like: 1 });
    expect(stats.window).toEqual({ ...ZERO, like: 1 });
    expect(await keys(`${prefix}win:O:*`)).toEqual([`${prefix}win:O:${T / MINUTE}`]);
  });

  it("bounds memory: each window bucket expires when no window can read it any more", async () => {
    const { store, prefix } = makeStore();
    await store.apply(event("E", EventType.CLICK, T - 4 * MINUTE - 30_000)); // bucket T-5m, read until T+6m
    await store.apply(event("E", EventType.CLICK, T)); // bucket T, read until T+11m
    const ttl = async (bucketStart: number) => redis.pttl(`${prefix}win:E:${bucketStart / MINUTE}`);
    const old = await ttl(T - 5 * MINUTE);
    expect(old).toBeGreaterThan(6 * MINUTE);
    expect(old).toBeLessThanOrEqual(6 * MINUTE + 1_000);
    const fresh = await ttl(T);
    expect(fresh).toBeGreaterThan(11 * MINUTE);
    expect(fresh).toBeLessThanOrEqual(11 * MINUTE + 1_000);
  });

  it("follows TRENDING_WINDOW_* options and refuses windows of more than 1440 buckets", async () => {
    const { store, clock } = makeStore({ windowSeconds: 120, windowBucketSeconds: 30 });
    // 4 buckets of 30 s before the current one are read.
    await store.apply(event("S", EventType.CLICK, T - 150_000)); // bucket T-150s, read only before T: never counted
    await store.apply(event("S", EventType.CLICK, T - 60_000)); // bucket T-60s, read until T+90s
    const stats = await store.productStats("S");
    expect(stats.windowSeconds).toBe(120);
    expect(stats.window.click).toBe(1);
    expect(stats.allTime.click).toBe(2);
    clock.now = T + 89_999;
    expect((await store.productStats("S")).window.click).toBe(1);
    clock.now = T + 90_000;
    expect((await store.productStats("S")).window.click).toBe(0);
    expect(() => new RedisTrendingStore(redis, { windowSeconds: 86_400 * 2, windowBucketSeconds: 60 })).toThrow(/at most 1440/);
    expect(() => new RedisTrendingStore(redis, { windowBucketSeconds: 0 })).toThrow(RangeError);
  });

  it("fails, rather than hangs, when Redis is unreachable", async () => {
    const dead = new Redis("redis://127.0.0.1:1", { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on("error", () => undefined);
    await expect(new RedisTrendingStore(dead, { prefix: "never:" }).productStats("A")).rejects.toThrow();
    dead.disconnect();
  });
});
