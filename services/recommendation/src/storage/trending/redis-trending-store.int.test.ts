import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../../test/support/infra.js";
import { RedisTrendingStore, type RedisTrendingStoreOptions } from "./redis-trending-store.js";
import type { TrendingEvent } from "./trending-store.js";

const T = Date.UTC(2025, 0, 1, 12, 0, 0);
const TAU_S = 100;
const TAU_MS = TAU_S * 1000;

describe("RedisTrendingStore (real Redis)", () => {
  let redis: Redis;
  const prefixes: string[] = [];

  /** A store with its own key prefix and a hand-driven clock. */
  function makeStore(options: RedisTrendingStoreOptions = {}) {
    const prefix = `test:trending:${randomBytes(4).toString("hex")}:`;
    prefixes.push(prefix);
    const clock = { now: T };
    const store = new RedisTrendingStore(redis, { tauSeconds: TAU_S, prefix, now: () => clock.now, ...options });
    return { store, clock, prefix };
  }

  let seq = 0;
  /** An event; by default of its own user (one per event id), so the per-account cap stays out of the way. */
  function event(
    productId: string,
    type: EventType,
    occurredAtMs: number,
    categories: string[] = [],
    eventId?: string,
    userId?: string,
  ): TrendingEvent {
    seq += 1;
    const id = eventId ?? `e${seq}`;
    return { eventId: id, userId: userId ?? `u-${id}`, productId, type, occurredAtMs, categories };
  }

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it("scores decayed weighted counts: hand-computed values at two reading times", async () => {
    const { store, clock } = makeStore();
    expect(await store.apply(event("A", EventType.CLICK, T))).toBe(true); // 1
    expect(await store.apply(event("B", EventType.LIKE, T))).toBe(true); // weight 2
    expect(await store.apply(event("A", EventType.VIEW, T - TAU_MS))).toBe(true); // one τ old: e^-1
    expect(await store.landmark()).toBe(T);

    const a0 = 1 + Math.exp(-1);
    expect((await store.scores(["A"])).get("A")).toBeCloseTo(a0, 12);
    let top = await store.top(undefined, 10);
    expect(top.map((e) => e.productId)).toEqual(["B", "A"]);
    expect(top[0]!.score).toBeCloseTo(2, 12);
    expect(top[1]!.score).toBeCloseTo(a0, 12);

    clock.now = T + TAU_MS; // one τ later, everything is worth 1/e
    top = await store.top(undefined, 10);
    expect(top[0]).toEqual({ productId: "B", score: expect.closeTo(2 * Math.exp(-1), 12) });
    expect(top[1]).toEqual({ productId: "A", score: expect.closeTo(a0 * Math.exp(-1), 12) });

    clock.now = T + 2.5 * TAU_MS;
    const s = await store.scores(["A", "B", "never"]);
    expect(s.get("A")).toBeCloseTo(a0 * Math.exp(-2.5), 12);
    expect(s.get("B")).toBeCloseTo(2 * Math.exp(-2.5), 12);
    expect(s.get("never")).toBe(0);
    expect([...s.keys()]).toEqual(["A", "B", "never"]);
  });

  it("counts an event from the future as happening now", async () => {
    const { store } = makeStore();
    await store.apply(event("A", EventType.CLICK, T));
    await store.apply(event("F", EventType.CLICK, T + 3_600_000));
    const s = await store.scores(["A", "F"]);
    expect(s.get("F")).toBeCloseTo(1, 12);
    expect(s.get("A")).toBeCloseTo(1, 12);
  });

  it("applies a (user, event_id) without a log position once, alone or in a batch, and counts exact stats once", async () => {
    const { store, prefix } = makeStore();
    const e = event("P", EventType.CLICK, T, ["Comedy"], "dup-1", "u1");
    expect(await store.apply(e)).toBe(true);
    expect(await store.apply(e)).toBe(false);
    expect(await store.applyBatch([e, event("P", EventType.VIEW, T, [], "dup-2"), event("P", EventType.VIEW, T, [], "dup-2")])).toBe(1);
    expect((await store.scores(["P"])).get("P")).toBeCloseTo(2, 12);
    expect((await store.top("comedy", 5))[0]?.score).toBeCloseTo(1, 12);
    expect((await store.stats(["P"])).get("P")).toEqual({ click: 1, view: 1, like: 0, dislike: 0, rate: 0 });
    // Events without a log position share one window, scored by their sequence (one number per
    // attempt, duplicates included); no key per event.
    expect(await redis.zrange(store.dedupWindowKey(), 0, -1, "WITHSCORES")).toEqual(["2:u1:dup-1", "1", "7:u-dup-2:dup-2", "4"]);
    expect(await redis.keys(`${prefix}seen:*`)).toEqual([]);
  });

  it("applies the same event_id from two users as two events, and keeps ids holding ':' apart", async () => {
    const { store } = makeStore();
    // Before, the dedup key was `seen:<event id>`: user B's event with A's event_id was dropped.
    expect(await store.apply(event("P", EventType.CLICK, T, [], "shared-1", "alice"))).toBe(true);
    expect(await store.apply(event("P", EventType.CLICK, T, [], "shared-1", "bob"))).toBe(true);
    expect(await store.apply(event("P", EventType.CLICK, T, [], "shared-1", "bob"))).toBe(false); // bob's retry
    // ("a:b", "c") and ("a", "b:c") would both read `a:b:c` without the length prefix.
    expect(await store.apply(event("P", EventType.CLICK, T, [], "c", "a:b"))).toBe(true);
    expect(await store.apply(event("P", EventType.CLICK, T, [], "b:c", "a"))).toBe(true);
    expect(await store.applyBatch([event("P", EventType.VIEW, T, [], "shared-2", "alice"), event("P", EventType.VIEW, T, [], "shared-2", "carol")])).toBe(2);
    expect((await store.stats(["P"])).get("P")).toEqual({ click: 4, view: 2, like: 0, dislike: 0, rate: 0 });
    expect((await store.scores(["P"])).get("P")).toBeCloseTo(6, 12);
    expect(await redis.zscore(store.dedupWindowKey(), "5:alice:shared-1")).not.toBeNull();
    expect(await redis.zscore(store.dedupWindowKey(), "3:bob:shared-1")).not.toBeNull();
  });

  describe("deduplication by log position", () => {
    const TOPIC = "engagement-events";
    /** An event of its own user at a log position. */
    function at(partition: number, offset: number, eventId = `p${partition}-o${offset}`, userId?: string, topic = TOPIC): TrendingEvent {
      return { ...event("P", EventType.CLICK, T, [], eventId, userId), source: { topic, partition, offset } };
    }

    it("skips redelivered offsets (at or below the partition's watermark) at one hash field per partition", async () => {
      const { store, prefix } = makeStore();
      const p0 = [0, 1, 2, 3, 4].map((o) => at(0, o));
      const p1 = [0, 1, 2].map((o) => at(1, o));
      expect(await store.applyBatch([...p0, ...p1])).toBe(8);
      expect([await store.watermark(TOPIC, 0), await store.watermark(TOPIC, 1), await store.watermark(TOPIC, 2)]).toEqual([4, 2, undefined]);
      // A consumer restarting from its last committed offset (2) after a crash: 2..4 again, then 5.
      expect(await store.applyBatch([...p0.slice(2), at(0, 5)])).toBe(1);
      expect(await store.apply(p1[0]!)).toBe(false);
      // Even an event never seen before is skipped at an applied offset: the offset is the identity.
      expect(await store.apply(at(0, 3, "another-event"))).toBe(false);
      // The same offsets of another topic are other messages.
      expect(await store.apply(at(0, 4, "other-topic-event", undefined, "other-topic"))).toBe(true);
      expect((await store.stats(["P"])).get("P")!.click).toBe(10);
      expect((await store.scores(["P"])).get("P")).toBeCloseTo(10, 12);
      expect(await redis.hgetall(`${prefix}trending:applied`)).toEqual({ [`${TOPIC}:0`]: "5", [`${TOPIC}:1`]: "2", "other-topic:0": "4" });
      expect(await redis.zcard(store.dedupWindowKey({ topic: TOPIC, partition: 0 }))).toBe(6);
      expect(await redis.keys(`${prefix}seen:*`)).toEqual([]);
    });

    it("skips the same event re-published at a later offset while it is in the window; another user's event with its id counts", async () => {
      const { store } = makeStore();
      const batch = [0, 1, 2].map((o) => at(2, o, `relay-${o}`, `u${o}`));
      expect(await store.applyBatch(batch)).toBe(3);
      // The outbox relay crashed between Kafka's ack and its DELETE: the batch again at 3..5; then
      // bob's event reusing u0's event id (6) and a new event of u0 (7).
      const republished = batch.map((e, i) => ({ ...e, source: { topic: TOPIC, partition: 2, offset: 3 + i } }));
      expect(await store.applyBatch([...republished, at(2, 6, "relay-0", "bob"), at(2, 7, "new-1", "u0")])).toBe(2);
      expect(await store.watermark(TOPIC, 2)).toBe(7);
      expect((await store.stats(["P"])).get("P")!.click).toBe(5);
      // The same event on another partition is another partition's window (a re-publish keeps its
      // partition: the message key is the user id).
      expect(await store.apply({ ...batch[0]!, source: { topic: TOPIC, partition: 0, offset: 0 } })).toBe(true);
    });

    it("keeps each partition's window to its bound, the newest entries by offset", async () => {
      const { store } = makeStore({ dedupWindow: 3 });
      const key = store.dedupWindowKey({ topic: TOPIC, partition: 0 });
      expect(await store.applyBatch([0, 1, 2, 3, 4].map((o) => at(0, o, `w${o}`, "u")))).toBe(5);
      expect(await redis.zrange(key, 0, -1, "WITHSCORES")).toEqual(["1:u:w2", "2", "1:u:w3", "3", "1:u:w4", "4"]);
      // w4 and w2 re-published are still in the window; w0 is out of it (3 newer events came in
      // between) and is counted again: the window's documented limit.
      expect(await store.applyBatch([at(0, 5, "w4", "u"), at(0, 6, "w2", "u"), at(0, 7, "w0", "u")])).toBe(1);
      expect(await redis.zcard(key)).toBe(3);
      expect(await redis.zrange(key, 0, -1)).toEqual(["1:u:w3", "1:u:w4", "1:u:w0"]);
      expect(await redis.pttl(key)).toBe(-1); // bounded by count, not by time: no TTL
      const direct = makeStore({ dedupWindow: 2 }).store;
      await direct.applyBatch(["a", "b", "c"].map((id) => event("P", EventType.CLICK, T, [], id, "u")));
      expect(await redis.zrange(direct.dedupWindowKey(), 0, -1)).toEqual(["1:u:b", "1:u:c"]);
    });

    it("refuses a window below 1 and a bad log position by name", async () => {
      for (const dedupWindow of [0, -1, 1.5]) {
        expect(() => new RedisTrendingStore(redis, { dedupWindow })).toThrow(/dedupWindow must be a positive integer/);
      }
      const { store } = makeStore();
      await expect(store.apply(at(-1, 0))).rejects.toThrow(/source partition/);
      await expect(store.apply(at(0, 1.5))).rejects.toThrow(/source offset/);
      await expect(store.apply(at(0, 0, "x", undefined, "bad:topic"))).rejects.toThrow(/source topic/);
    });

    it("compares and keeps offsets above 10^14 exactly (Lua would print them rounded)", async () => {
      const { store } = makeStore();
      const big = 2 ** 50 + 7;
      expect(await store.apply(at(0, big))).toBe(true);
      expect(await store.apply(at(0, big - 1))).toBe(false);
      expect(await store.apply(at(0, big + 1))).toBe(true);
      expect(await store.watermark(TOPIC, 0)).toBe(big + 1);
      expect(await redis.zscore(store.dedupWindowKey({ topic: TOPIC, partition: 0 }), `${"u-p0-o".length + String(big + 1).length}:u-p0-o${big + 1}:p0-o${big + 1}`)).toBe(String(big + 1));
    });
  });

  describe("the per-account cap", () => {
    const HOUR_MS = 3_600_000;

    it("lets one account add at most 3 weighted events per product and hour: 20 accounts clicking once outrank 10,000 clicks of one", async () => {
      const { store } = makeStore({ tauSeconds: 3_600 });
      const spam = Array.from({ length: 10_000 }, (_, i) => event("spammed", EventType.CLICK, T + (i % 1_000), ["Drama"], `spam-${i}`, "mallory"));
      for (let i = 0; i < spam.length; i += 1_000) expect(await store.applyBatch(spam.slice(i, i + 1_000))).toBe(1_000);
      const fans = Array.from({ length: 20 }, (_, i) => event("liked", EventType.CLICK, T, ["Drama"], `fan-${i}`, `fan-${i}`));
      expect(await store.applyBatch(fans)).toBe(20);

      const top = await store.top(undefined, 2);
      expect(top.map((t) => t.productId)).toEqual(["liked", "spammed"]);
      expect(top[0]!.score).toBeCloseTo(20, 9);
      expect(top[1]!.score).toBeCloseTo(3, 9);
      expect((await store.top("drama", 1))[0]?.productId).toBe("liked");
      // The statistics still count every click: they say what happened, trending what matters.
      expect((await store.stats(["spammed"])).get("spammed")?.click).toBe(10_000);
      expect((await store.productStats("spammed")).window.click).toBe(10_000);
    }, 60_000);

    it("counts a weighted event toward the cap once, however often it is redelivered, and weightless ones not at all", async () => {
      const { store, prefix } = makeStore();
      const first = event("P", EventType.LIKE, T, [], "like-1", "u1");
      for (let i = 0; i < 5; i++) await store.apply(first);
      await store.apply(event("P", EventType.DISLIKE, T, [], "dislike-1", "u1")); // weight 0
      expect(await redis.hget(`${prefix}cap:P:${Math.floor(T / HOUR_MS)}`, "u1")).toBe("1");
      await store.applyBatch([event("P", EventType.CLICK, T, [], "click-1", "u1"), event("P", EventType.VIEW, T, [], "view-1", "u1")]);
      await store.apply(event("P", EventType.RATE, T, [], "rate-1", "u1")); // the fourth: over the cap
      // LIKE 2 + CLICK 1 + VIEW 1; the RATE is counted in the stats only.
      expect((await store.scores(["P"])).get("P")).toBeCloseTo(4, 12);
      expect((await store.stats(["P"])).get("P")).toEqual({ click: 1, view: 1, like: 1, dislike: 1, rate: 1 });
    });

    it("starts afresh in the next window, and keeps each window's counter only until it ends", async () => {
      const { store, clock, prefix } = makeStore({ tauSeconds: 3_600, userCap: 2 });
      const window = Math.floor(T / HOUR_MS);
      clock.now = T + 10 * 60_000;
      for (let i = 0; i < 5; i++) await store.apply(event("P", EventType.CLICK, clock.now, [], `a${i}`, "u1"));
      expect((await store.scores(["P"])).get("P")).toBeCloseTo(2, 9);
      // The counter of the current window lives until the window ends (+ 1 s).
      const pttl = await redis.pttl(`${prefix}cap:P:${window}`);
      expect(pttl).toBeGreaterThan(50 * 60_000);
      expect(pttl).toBeLessThanOrEqual(50 * 60_000 + 1_000);

      clock.now = T + HOUR_MS + 60_000; // the next hour: 2 more count
      for (let i = 0; i < 5; i++) await store.apply(event("P", EventType.CLICK, clock.now, [], `b${i}`, "u1"));
      const decayedFirst = 2 * Math.exp(-(HOUR_MS - 9 * 60_000) / HOUR_MS);
      expect((await store.scores(["P"])).get("P")).toBeCloseTo(2 + decayedFirst, 9);

      // A late event of the past window re-creates its counter for one window length (a replay of
      // that window shares it), and is capped there too.
      await redis.del(`${prefix}cap:P:${window}`);
      for (let i = 0; i < 3; i++) await store.apply(event("P", EventType.CLICK, T + 20 * 60_000, [], `late${i}`, "u2"));
      expect(await redis.hget(`${prefix}cap:P:${window}`, "u2")).toBe("3");
      const latePttl = await redis.pttl(`${prefix}cap:P:${window}`);
      expect(latePttl).toBeGreaterThan(HOUR_MS - 1_000);
      expect(latePttl).toBeLessThanOrEqual(HOUR_MS);
      const late = 2 * Math.exp(-(HOUR_MS + 60_000 - 20 * 60_000) / HOUR_MS);
      expect((await store.scores(["P"])).get("P")).toBeCloseTo(2 + decayedFirst + late, 9);
    });

    it("creates no counter for events that decayed to nothing, and validates its options", async () => {
      const { store, clock, prefix } = makeStore();
      clock.now = T + 2_000 * TAU_MS;
      await store.apply(event("P", EventType.CLICK, T, [], "ancient", "u1"));
      const keys = await redis.keys(`${prefix}cap:*`);
      expect(keys).toEqual([]);
      expect(() => new RedisTrendingStore(redis, { userCap: 0 })).toThrow(/userCap/);
      expect(() => new RedisTrendingStore(redis, { userCapWindowSeconds: 1.5 })).toThrow(/userCapWindowSeconds/);
      await expect(store.apply({ ...event("P", EventType.CLICK, T), userId: "" })).rejects.toThrow(/user id/);
    });
  });

  it("keeps one sorted set per lower-cased category, with TTLs on every key", async () => {
    const { store, prefix } = makeStore({ keyTtlSeconds: 3_000, statsTtlSeconds: 4_000 });
    await store.apply(event("M1", EventType.CLICK, T, ["Comedy", "Drama", " comedy "]));
    await store.apply(event("M2", EventType.CLICK, T, ["Drama"]));
    await store.apply(event("M2", EventType.LIKE, T, ["Drama"]));
    expect(await store.top("COMEDY", 10)).toEqual([{ productId: "M1", score: expect.closeTo(1, 12) }]);
    expect((await store.top("Drama", 10)).map((e) => e.productId)).toEqual(["M2", "M1"]);
    expect(await store.top("Horror", 10)).toEqual([]);
    expect((await store.top(undefined, 1)).map((e) => e.productId)).toEqual(["M2"]);
    expect(await redis.zscore(`${prefix}trending:cat:comedy`, "M1")).toBe("1"); // counted once despite two spellings
    for (const key of ["trending:all", "trending:cat:comedy", "trending:cat:drama", "trending:keys"]) {
      const ttl = await redis.ttl(prefix + key);
      expect(ttl, key).toBeGreaterThan(2_990);
      expect(ttl, key).toBeLessThanOrEqual(3_000);
    }
    expect(await redis.ttl(`${prefix}stats:M2`)).toBeGreaterThan(3_990);
    expect((await redis.smembers(`${prefix}trending:keys`)).sort()).toEqual(
      [`${prefix}trending:all`, `${prefix}trending:cat:comedy`, `${prefix}trending:cat:drama`].sort(),
    );
  });

  it("never lets DISLIKE (weight 0) make a product trend, but counts it", async () => {
    const { store } = makeStore();
    await store.apply(event("D", EventType.DISLIKE, T, ["Comedy"]));
    expect(await store.top(undefined, 10)).toEqual([]);
    expect((await store.scores(["D"])).get("D")).toBe(0);
    expect((await store.stats(["D", "none"])).get("D")).toEqual({ click: 0, view: 0, like: 0, dislike: 1, rate: 0 });
    expect((await store.stats(["none"])).get("none")).toEqual({ click: 0, view: 0, like: 0, dislike: 0, rate: 0 });
  });

  it("trims every sorted set to its top N; a fresh event outranks entries that have decayed", async () => {
    const { store, clock, prefix } = makeStore({ topN: 5 });
    const events: TrendingEvent[] = [];
    for (let p = 8; p >= 1; p -= 1) {
      for (let n = 0; n < p; n += 1) events.push(event(`p${p}`, EventType.CLICK, T, ["Action"]));
    }
    expect(await store.applyBatch(events)).toBe(events.length);
    expect(await redis.zcard(`${prefix}trending:all`)).toBe(5);
    expect(await redis.zcard(`${prefix}trending:cat:action`)).toBe(5);
    const top = await store.top(undefined, 100);
    expect(top.map((e) => e.productId)).toEqual(["p8", "p7", "p6", "p5", "p4"]);
    expect(top.map((e) => Math.round(e.score))).toEqual([8, 7, 6, 5, 4]);
    // A newcomer below the top N is not kept.
    await store.apply(event("low", EventType.CLICK, T, ["Action"]));
    expect(await redis.zscore(`${prefix}trending:all`, "low")).toBeNull();
    // Three τ later p4 is worth 4/e³ ≈ 0.2 < 1: one fresh click enters and evicts it.
    clock.now = T + 3 * TAU_MS;
    await store.apply(event("fresh", EventType.CLICK, clock.now, ["Action"]));
    expect(await redis.zcard(`${prefix}trending:all`)).toBe(5);
    expect((await store.top("action", 10)).map((e) => e.productId)).toEqual(["fresh", "p8", "p7", "p6", "p5"]);
  });

  it("re-bases past the bound: t0 moves, stored values shrink, decayed scores and ratios are kept", async () => {
    const { store, clock, prefix } = makeStore({ rebaseBound: 2 });
    await store.applyBatch([
      event("A", EventType.CLICK, T, ["X"]),
      event("A", EventType.CLICK, T, ["X"]),
      event("B", EventType.LIKE, T - TAU_MS, ["X"]),
      event("C", EventType.CLICK, T - 3 * TAU_MS, ["Y"]),
    ]);
    const rawBefore = Number(await redis.zscore(`${prefix}trending:all`, "A"));
    expect(rawBefore).toBeCloseTo(2, 12);

    clock.now = T + 2.5 * TAU_MS; // (now − t0)/τ = 2.5 > 2: the next write re-bases
    const expected = {
      A: 2 * Math.exp(-2.5),
      B: 2 * Math.exp(-3.5),
      C: Math.exp(-5.5),
    };
    const before = await store.scores(["A", "B", "C"]);
    await store.apply(event("D", EventType.CLICK, clock.now, ["Y"]));
    expect(await store.landmark()).toBe(clock.now);
    expect(Number(await redis.zscore(`${prefix}trending:all`, "A"))).toBeCloseTo(2 * Math.exp(-2.5), 12);
    const after = await store.scores(["A", "B", "C", "D"]);
    for (const id of ["A", "B", "C"] as const) {
      expect(after.get(id)! / expected[id]).toBeCloseTo(1, 12);
      expect(after.get(id)! / before.get(id)!).toBeCloseTo(1, 12);
    }
    expect(after.get("D")).toBeCloseTo(1, 12);
    expect((await store.top("x", 5)).map((e) => e.productId)).toEqual(["A", "B"]);
    expect((await store.top("y", 5))[1]?.score).toBeCloseTo(expected.C, 15);
    // Re-basing keeps each key's TTL.
    expect(await redis.ttl(`${prefix}trending:cat:x`)).toBeGreaterThan(7 * 86_400 - 10);

    // An explicit re-base changes no score either.
    clock.now += 0.7 * TAU_MS;
    const beforeExplicit = await store.scores(["A", "B", "C", "D"]);
    expect(await store.rebase()).toBe(true);
    const afterExplicit = await store.scores(["A", "B", "C", "D"]);
    for (const id of ["A", "B", "C", "D"]) expect(afterExplicit.get(id)! / beforeExplicit.get(id)!).toBeCloseTo(1, 12);
  });

  it("keeps stored values bounded over a long run (a year of events at τ = 100 s)", async () => {
    const { store, clock, prefix } = makeStore();
    for (let step = 0; step < 400; step += 1) {
      clock.now = T + step * 25 * TAU_MS * 3.2; // 80 τ per step: crosses the bound (30) every step
      await store.apply(event("hot", EventType.CLICK, clock.now));
    }
    const raw = Number(await redis.zscore(`${prefix}trending:all`, "hot"));
    expect(Number.isFinite(raw)).toBe(true);
    expect(raw).toBeLessThan(Math.exp(31));
    expect((await store.scores(["hot"])).get("hot")).toBeCloseTo(1, 9);
  });

  it("drops products that decayed to nothing when re-basing after a long silence", async () => {
    const { store, clock, prefix } = makeStore();
    await store.apply(event("old", EventType.CLICK, T));
    clock.now = T + 2_000 * TAU_MS; // e^-2000 underflows to 0
    await store.apply(event("new", EventType.CLICK, clock.now));
    expect(await redis.zscore(`${prefix}trending:all`, "old")).toBeNull();
    expect((await store.top(undefined, 10)).map((e) => e.productId)).toEqual(["new"]);
  });

  it("validates arguments", async () => {
    const { store } = makeStore();
    expect(await store.top(undefined, 0)).toEqual([]);
    await expect(store.top(undefined, -1)).rejects.toThrow(RangeError);
    expect(await store.applyBatch([])).toBe(0);
    expect((await store.scores([])).size).toBe(0);
    await expect(store.apply(event("A", EventType.UNSPECIFIED, T))).rejects.toThrow(/unknown event type/);
    expect(() => new RedisTrendingStore(redis, { tauSeconds: 0 })).toThrow(RangeError);
    expect(() => new RedisTrendingStore(redis, { weights: { like: -1 } })).toThrow(RangeError);
    expect(() => new RedisTrendingStore(redis, { topN: 0 })).toThrow(RangeError);
  });

  it("fails, rather than hangs, when Redis is unreachable", async () => {
    const dead = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on("error", () => undefined);
    const store = new RedisTrendingStore(dead, { prefix: "never:" });
    await expect(store.apply(event("A", EventType.CLICK, T))).rejects.toThrow();
    await expect(store.applyBatch([event("A", EventType.CLICK, T)])).rejects.toThrow();
    await expect(store.top(undefined, 5)).rejects.toThrow();
    await expect(store.scores(["A"])).rejects.toThrow();
    dead.disconnect();
  });
});
