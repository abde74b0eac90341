import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../../test/support/infra.js";
import { RedisUserStateStore, type UserStateEvent } from "./redis-user-state-store.js";
import { userStateConfigShape, userStateRules, type UserStateRules } from "./user-state-config.js";

const T = Date.UTC(2025, 0, 1, 12, 0, 0);
const FILE_PREFIX = `test:user-state:${randomBytes(4).toString("hex")}:`;

/** The rules from environment-style settings, through the real config schema. */
function rules(env: Record<string, string> = {}): UserStateRules {
  return userStateRules(z.object(userStateConfigShape).parse(env));
}

function ev(userId: string, productId: string, type: EventType, atMs: number, value = 0): UserStateEvent {
  return { userId, productId, type, value, occurredAtMs: atMs };
}

describe("RedisUserStateStore (real Redis)", () => {
  let redis: Redis;
  let n = 0;

  /** A store with its own key prefix (under this file's prefix). */
  function makeStore(r: UserStateRules = rules(), prefix = `${FILE_PREFIX}${++n}:`): RedisUserStateStore {
    return new RedisUserStateStore(redis, r, prefix);
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

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await keysUnder(`${FILE_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("likes and ratings at or above 3.5 are positives (most recent first); dislikes, likes and ratings are seen", async () => {
    const store = makeStore();
    const changed = await store.applyBatch([
      ev("u1", "A", EventType.LIKE, T + 1),
      ev("u1", "B", EventType.RATE, T + 2, 4),
      ev("u1", "C", EventType.RATE, T + 3, 3.5),
      ev("u1", "D", EventType.RATE, T + 4, 3),
      ev("u1", "E", EventType.DISLIKE, T + 5),
      ev("u2", "Z", EventType.LIKE, T),
    ]);
    expect(changed).toBe(6);
    const u1 = await store.load("u1", 10);
    expect(u1.positives).toEqual(["C", "B", "A"]);
    expect(u1.seen).toEqual(["A", "B", "C", "D", "E"]); // by time, oldest first
    expect(await store.load("u2", 10)).toEqual({ version: "1", positives: ["Z"], seen: ["Z"] });
    expect(await store.load("nobody", 10)).toEqual({ version: "0", positives: [], seen: [] });
    expect((await store.load("u1", 2)).positives).toEqual(["C", "B"]);
  });

  it("a later dislike cancels a like; an older event applied after a newer one changes nothing", async () => {
    const store = makeStore();
    await store.applyBatch([ev("u", "A", EventType.LIKE, T), ev("u", "A", EventType.DISLIKE, T + 10)]);
    expect((await store.load("u", 10)).positives).toEqual([]);

    const before = await store.load("u", 10);
    // The like again (older than the dislike), and a rating older still: nothing moves, not even the version.
    expect(await store.applyBatch([ev("u", "A", EventType.LIKE, T + 5), ev("u", "A", EventType.RATE, T + 1, 5)])).toBe(0);
    expect(await store.load("u", 10)).toEqual(before);

    // A newer like wins again.
    expect(await store.applyBatch([ev("u", "A", EventType.LIKE, T + 20)])).toBe(1);
    expect((await store.load("u", 10)).positives).toEqual(["A"]);
  });

  it("re-applying a batch, in reverse order, gives the same state and version", async () => {
    const batch = [
      ev("u", "A", EventType.LIKE, T + 1),
      ev("u", "A", EventType.DISLIKE, T + 2),
      ev("u", "B", EventType.RATE, T + 3, 2),
      ev("u", "B", EventType.RATE, T + 4, 4.5),
      ev("u", "C", EventType.RATE, T + 5, 5),
      ev("u", "D", EventType.LIKE, T + 6),
      ev("u", "D", EventType.RATE, T + 7, 1),
    ];
    const forward = makeStore();
    await forward.applyBatch(batch);
    const expected = await forward.load("u", 10);
    expect(expected.positives).toEqual(["C", "B"]);
    expect(expected.seen).toEqual(["A", "B", "C", "D"]);

    const backward = makeStore();
    await backward.applyBatch([...batch].reverse());
    const reversed = await backward.load("u", 10);
    expect({ ...reversed, version: "" }).toEqual({ ...expected, version: "" });

    expect(await forward.applyBatch([...batch].reverse())).toBe(0);
    expect(await forward.applyBatch(batch)).toBe(0);
    expect(await forward.load("u", 10)).toEqual(expected);
  });

  it("keeps the most recent seen products (maxSeen 3) and positives (maxPositives 2), whatever the order applied", async () => {
    const small = rules({ USER_STATE_MAX_SEEN: "3", USER_STATE_MAX_POSITIVES: "2" });
    const events = ["A", "B", "C", "D", "E"].map((p, i) => ev("u", p, EventType.LIKE, T + i));
    for (const order of [events, [...events].reverse()]) {
      const store = makeStore(small);
      await store.applyBatch(order);
      const state = await store.load("u", 10);
      expect(state.seen).toEqual(["C", "D", "E"]);
      expect(state.positives).toEqual(["E", "D"]);
    }

    // An opinion that falls out of the kept opinions leaves the positives too.
    const store = makeStore(small);
    await store.applyBatch([ev("u", "P", EventType.LIKE, T + 10), ...["X", "Y", "Z"].map((p, i) => ev("u", p, EventType.DISLIKE, T + 20 + i))]);
    expect(await store.load("u", 10)).toMatchObject({ positives: [], seen: ["X", "Y", "Z"] });
    // An event older than everything kept is dropped at once: no change, no version bump.
    const before = await store.load("u", 10);
    expect(await store.applyBatch([ev("u", "OLD", EventType.LIKE, T)])).toBe(0);
    expect(await store.load("u", 10)).toEqual(before);
  });

  it("ignores clicks and views under the default seen kinds; a click is seen when RECOMMEND_SEEN_EVENT_TYPES includes click", async () => {
    const defaults = makeStore();
    expect(await defaults.applyBatch([ev("u", "A", EventType.CLICK, T), ev("u", "B", EventType.VIEW, T)])).toBe(0);
    expect(await defaults.load("u", 10)).toEqual({ version: "0", positives: [], seen: [] });

    const clicks = makeStore(rules({ RECOMMEND_SEEN_EVENT_TYPES: "click,rate" }));
    expect(await clicks.applyBatch([ev("u", "A", EventType.CLICK, T), ev("u", "B", EventType.VIEW, T), ev("u", "C", EventType.LIKE, T)])).toBe(2);
    // A like is still an opinion (a positive) without being a seen kind.
    expect(await clicks.load("u", 10)).toMatchObject({ positives: ["C"], seen: ["A"] });
  });

  it("moves the version on every change and not on a no-op (the same event again)", async () => {
    const store = makeStore();
    expect((await store.version("u")).version).toBe("0");
    await store.applyBatch([ev("u", "A", EventType.RATE, T, 4)]);
    const v1 = (await store.version("u")).version;
    expect(v1).not.toBe("0");
    expect(await store.applyBatch([ev("u", "A", EventType.RATE, T, 4)])).toBe(0);
    expect((await store.version("u")).version).toBe(v1);
    await store.applyBatch([ev("u", "A", EventType.RATE, T + 1, 4)]); // newer: seen time moves
    const v2 = (await store.version("u")).version;
    expect(v2).not.toBe(v1);
    await store.applyBatch([ev("u", "A", EventType.DISLIKE, T + 1)]); // same time, other opinion: the later applied wins
    expect((await store.version("u")).version).not.toBe(v2);
    expect((await store.load("u", 10)).positives).toEqual([]);
  });

  it("readiness: missing, ready after a rebuild begun and finished, the lock refused to a second rebuild, stale under other rules", async () => {
    const prefix = `${FILE_PREFIX}ready:`;
    const store = makeStore(rules(), prefix);
    expect(await store.readiness()).toBe("missing");
    const token = await store.beginRebuild(10_000);
    expect(token).toBeDefined();
    expect(await store.beginRebuild(10_000)).toBeUndefined();
    expect(await store.extendRebuild(token!, 10_000)).toBe(true);
    expect(await store.extendRebuild("someone else", 10_000)).toBe(false);
    expect(await store.readiness()).toBe("missing");
    expect(await store.finishRebuild(token!)).toBe(true);
    expect(await store.readiness()).toBe("ready");
    expect(await redis.exists(store.rebuildKey)).toBe(0); // the lock is released

    const other = makeStore(rules({ RECOMMEND_POSITIVE_RATING: "4" }), prefix);
    expect(await other.readiness()).toBe("stale");
    expect((await other.version("u")).readiness).toBe("stale");
    expect((await store.version("u")).readiness).toBe("ready");
  });

  it("a rebuild whose lock was deleted (Redis lost it) cannot finish, and cannot extend it", async () => {
    const store = makeStore();
    const token = await store.beginRebuild(10_000);
    await redis.del(store.rebuildKey);
    expect(await store.extendRebuild(token!, 10_000)).toBe(false);
    expect(await store.finishRebuild(token!)).toBe(false);
    expect(await store.readiness()).toBe("missing");
  });

  it("clear() removes every user key and the marker, but not the lock nor other prefixes' keys", async () => {
    const store = makeStore(rules(), `${FILE_PREFIX}clear:`);
    const neighbour = makeStore(rules(), `${FILE_PREFIX}clear2:`);
    await store.applyBatch([ev("u1", "A", EventType.LIKE, T), ev("u:2", "B", EventType.DISLIKE, T)]);
    await neighbour.applyBatch([ev("u1", "A", EventType.LIKE, T)]);
    const token = await store.beginRebuild(10_000);
    await store.finishRebuild(token!);
    await redis.set(`${FILE_PREFIX}clear:trending:x`, "1"); // the trending keys share the prefix
    const lock = await store.beginRebuild(10_000);

    expect(await store.clear()).toBe(1 + 4 + 3); // marker, u1 (seen, op, pos, ver), u:2 (seen, op, ver)
    expect(await store.readiness()).toBe("missing");
    expect(await store.load("u1", 10)).toEqual({ version: "0", positives: [], seen: [] });
    expect(await redis.get(store.rebuildKey)).toBe(lock);
    expect(await redis.get(`${FILE_PREFIX}clear:trending:x`)).toBe("1");
    expect(await neighbour.load("u1", 10)).toMatchObject({ positives: ["A"], seen: ["A"] });
  });
});
