import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventSchema, EventType, type Event } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { serviceTokenInterceptor } from "../../../shared/src/access-control.js";
import { UnavailableError } from "../../../shared/src/domain-errors.js";
import { testInfra } from "../../../../test/support/infra.js";
import { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import { userStateConfigShape, userStateRules, type UserStateRules } from "../storage/user-state/user-state-config.js";
import { z } from "zod";
import { GrpcEventScanner, UserStateRebuild, type EventScanner } from "./user-state-rebuild.js";

const T = Date.UTC(2025, 0, 1, 12, 0, 0);
const FILE_PREFIX = `test:user-state-rebuild:${randomBytes(4).toString("hex")}:`;
const silent = pino({ level: "silent" });

function rules(env: Record<string, string> = {}): UserStateRules {
  return userStateRules(z.object(userStateConfigShape).parse(env));
}

let seq = 0;
function event(userId: string, productId: string, type: EventType, atMs: number, value = 0): Event {
  seq += 1;
  return create(EventSchema, { eventId: `e${seq}`, userId, productId, type, value, occurTime: timestampFromMs(atMs) });
}

/** The engagement database of these tests, as ScanEvents would page through it. */
const PAGES: readonly (readonly Event[])[] = [
  [event("u1", "A", EventType.LIKE, T + 1), event("u1", "B", EventType.RATE, T + 2, 4.5), event("u2", "A", EventType.CLICK, T + 3)],
  [event("u2", "C", EventType.RATE, T + 4, 2), event("u1", "D", EventType.VIEW, T + 5), event("u3", "E", EventType.LIKE, T + 6)],
  [event("u1", "A", EventType.DISLIKE, T + 7), create(EventSchema, { userId: "u4", productId: "F", type: EventType.LIKE })], // no occur_time: skipped
];

/** A fake {@link EventScanner}: the pages above, with a hook run before each page is handed out. */
class FakeScanner implements EventScanner {
  scans = 0;
  constructor(
    private readonly pageList: readonly (readonly Event[])[] = PAGES,
    private readonly beforePage: (index: number) => Promise<void> | void = () => undefined,
  ) {}

  async *pages(): AsyncIterable<readonly Event[]> {
    this.scans += 1;
    for (let i = 0; i < this.pageList.length; i++) {
      await this.beforePage(i);
      yield this.pageList[i]!;
    }
  }
}

/** A logger whose lines the test reads. */
function recordingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  return { logger: pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) }), lines };
}

describe("UserStateRebuild (real Redis, fake event source)", () => {
  let redis: Redis;
  let n = 0;

  function makeStore(r: UserStateRules = rules(), prefix = `${FILE_PREFIX}${++n}:`): RedisUserStateStore {
    return new RedisUserStateStore(redis, r, prefix);
  }

  /**
   * Deletes every key under a prefix in one DEL, as a FLUSHDB loses them: all at once. Deleting per
   * SCAN page let the periodic check see the marker gone, rebuild, and then lose that rebuild's keys
   * to a later page (a third scan, one run in a few).
   */
  async function deleteUnder(prefix: string): Promise<void> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, page] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      keys.push(...page);
      cursor = next;
    } while (cursor !== "0");
    if (keys.length > 0) await redis.del(...keys);
  }

  async function expectBuiltState(store: RedisUserStateStore): Promise<void> {
    expect(await store.readiness()).toBe("ready");
    expect(await store.load("u1", 10)).toMatchObject({ positives: ["B"], seen: ["B", "A"] }); // the dislike (page 3) cancelled the like
    expect(await store.load("u2", 10)).toMatchObject({ positives: [], seen: ["C"] }); // a click is not seen by default
    expect(await store.load("u3", 10)).toMatchObject({ positives: ["E"], seen: ["E"] });
    expect(await store.load("u4", 10)).toEqual({ version: "0", positives: [], seen: [] });
  }

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await deleteUnder(FILE_PREFIX);
    redis.disconnect();
  });

  it("rebuilds a missing state from every page, marks it ready, logs start and end, and then leaves it alone", async () => {
    const store = makeStore();
    const scanner = new FakeScanner();
    const { logger, lines } = recordingLogger();
    const rebuild = new UserStateRebuild({ store, scanner, logger });
    expect(await store.readiness()).toBe("missing");
    expect(await rebuild.runOnce()).toBe("rebuilt");
    await expectBuiltState(store);
    expect(await redis.exists(store.rebuildKey)).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual([
      "user state rebuild started: scanning every engagement event",
      "user state rebuilt: readers use it from now on",
    ]);
    expect(lines[1]).toMatchObject({ events: 8, users: 3, pages: 3 });

    expect(await rebuild.runOnce()).toBe("ready");
    expect(scanner.scans).toBe(1);
  });

  it("a second rebuild does nothing while the first holds the lock", async () => {
    const store = makeStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstPageTaken!: () => void;
    const midway = new Promise<void>((resolve) => (firstPageTaken = resolve));
    const slow = new FakeScanner(PAGES, async (i) => {
      if (i === 1) {
        firstPageTaken();
        await gate;
      }
    });
    const first = new UserStateRebuild({ store, scanner: slow, logger: silent });
    const firstRound = first.runOnce();
    await midway;

    const otherScanner = new FakeScanner();
    const second = new UserStateRebuild({ store: makeStore(rules(), `${FILE_PREFIX}${n}:`), scanner: otherScanner, logger: silent });
    expect(await second.runOnce()).toBe("busy");
    expect(await second.runOnce()).toBe("busy");
    expect(otherScanner.scans).toBe(0);
    expect(await store.readiness()).toBe("missing");

    release();
    expect(await firstRound).toBe("rebuilt");
    await expectBuiltState(store);
    expect(await second.runOnce()).toBe("ready");
  });

  it("rebuilds again, on its periodic check, after the prefix's keys were lost (a flushed Redis)", async () => {
    const prefix = `${FILE_PREFIX}${++n}:`;
    const store = makeStore(rules(), prefix);
    const scanner = new FakeScanner();
    const rebuild = new UserStateRebuild({ store, scanner, logger: silent, checkIntervalMs: 20 });
    rebuild.start();
    try {
      await waitFor("the first build", async () => (await store.readiness()) === "ready");
      await expectBuiltState(store);
      await deleteUnder(prefix);
      expect(await store.readiness()).toBe("missing");
      await waitFor("the rebuild", async () => (await store.readiness()) === "ready");
      await expectBuiltState(store);
      expect(scanner.scans).toBe(2);
    } finally {
      await rebuild.stop();
    }
  });

  it("abandons a rebuild whose lock was lost midway (never marked ready half-built) and starts over next round", async () => {
    const store = makeStore();
    let lose = true;
    const scanner = new FakeScanner(PAGES, async (i) => {
      if (i === 1 && lose) {
        lose = false;
        await redis.del(store.rebuildKey); // Redis restarted between two pages
      }
    });
    const rebuild = new UserStateRebuild({ store, scanner, logger: silent });
    expect(await rebuild.runOnce()).toBe("lost");
    expect(await store.readiness()).toBe("missing");
    expect(await rebuild.runOnce()).toBe("rebuilt");
    await expectBuiltState(store);
  });

  it("clears and rebuilds a state built under other rules", async () => {
    const prefix = `${FILE_PREFIX}${++n}:`;
    const old = makeStore(rules({ RECOMMEND_POSITIVE_RATING: "5", RECOMMEND_SEEN_EVENT_TYPES: "click" }), prefix);
    await old.applyBatch([{ userId: "gone", productId: "X", type: EventType.CLICK, occurredAtMs: T }]);
    await old.finishRebuild((await old.beginRebuild(10_000))!);
    const store = makeStore(rules(), prefix);
    expect(await store.readiness()).toBe("stale");

    const { logger, lines } = recordingLogger();
    expect(await new UserStateRebuild({ store, scanner: new FakeScanner(), logger }).runOnce()).toBe("rebuilt");
    await expectBuiltState(store);
    expect(await store.load("gone", 10)).toEqual({ version: "0", positives: [], seen: [] });
    expect(await old.readiness()).toBe("stale");
    expect(lines[0]).toMatchObject({ msg: "user state was built under other rules: cleared it" });
  });

  it("logs a failing source once per outage, keeps its lock between the failed rounds, then rebuilds", async () => {
    const store = makeStore();
    let failures = 3;
    const scanner = new FakeScanner(PAGES, (i) => {
      if (i === 1 && failures > 0) {
        failures -= 1;
        throw new UnavailableError("engagement service");
      }
    });
    const { logger, lines } = recordingLogger();
    const rebuild = new UserStateRebuild({ store, scanner, logger });
    for (let i = 0; i < 3; i++) expect(await rebuild.runOnce()).toBe("failed");
    expect(await new UserStateRebuild({ store, scanner: new FakeScanner(), logger: silent }).runOnce()).toBe("busy");
    expect(await rebuild.runOnce()).toBe("rebuilt");
    await expectBuiltState(store);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ err: "engagement service is unavailable, retry later" });
    expect(lines.filter((l) => /reachable again/.test(l.msg))).toHaveLength(1);
  });

  it("GrpcEventScanner pages through ScanEvents 5000 at a time with the service token; UNAVAILABLE fails the round, the next one rebuilds", async () => {
    // 12,000 ratings by 40 users of 300 products, the newest of each (user, product) deciding.
    const events = Array.from({ length: 12_000 }, (_, k) =>
      create(EventSchema, {
        eventId: `s${k}`,
        userId: `su${k % 40}`,
        productId: String(k % 300),
        type: EventType.RATE,
        value: k % 2 === 0 ? 5 : 1,
        occurTime: timestampFromMs(T + k),
      }),
    );
    const calls: { pageSize: number; pageToken: string; authorization: string | null }[] = [];
    let unavailable = 1;
    const token = "a-service-token-of-at-least-32-characters";
    const transport = createRouterTransport(
      (router) => {
        router.service(EngagementService, {
          scanEvents(req, ctx) {
            calls.push({ pageSize: req.pageSize, pageToken: req.pageToken, authorization: ctx.requestHeader.get("authorization") });
            if (req.pageToken === "5000" && unavailable > 0) {
              unavailable -= 1;
              throw new ConnectError("connection refused", Code.Unavailable);
            }
            const start = req.pageToken === "" ? 0 : Number(req.pageToken);
            const end = start + req.pageSize;
            return { events: events.slice(start, end), nextPageToken: end < events.length ? String(end) : "" };
          },
        });
      },
      { transport: { interceptors: [serviceTokenInterceptor(token)] } },
    );
    const scanner = new GrpcEventScanner(createClient(EngagementService, transport));
    const store = makeStore();
    const { logger, lines } = recordingLogger();
    const rebuild = new UserStateRebuild({ store, scanner, logger });
    expect(await rebuild.runOnce()).toBe("failed");
    expect(lines.filter((l) => l.level === 40)).toMatchObject([{ err: "engagement service is unavailable, retry later" }]);
    expect(await rebuild.runOnce()).toBe("rebuilt");
    expect(calls.map((c) => [c.pageSize, c.pageToken])).toEqual([
      [5000, ""],
      [5000, "5000"],
      [5000, ""],
      [5000, "5000"],
      [5000, "10000"],
    ]);
    expect(new Set(calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${token}`]));
    expect(lines.find((l) => /rebuilt/.test(l.msg))).toMatchObject({ events: 12_000, users: 40, pages: 3 });
    // su0 rated products 0, 40, 80, … (k ≡ 0 mod 40); the newest rating of each is at the largest such k.
    // k ≡ 0 (mod 40) is even, so all of su0's ratings are 5 stars; su1's (odd k) are all 1 star.
    const su0 = await store.load("su0", 1_000);
    expect(su0.positives).toHaveLength(15); // products 40j mod 300: 300 / gcd(40, 300) = 15 distinct ones
    expect(new Set(su0.seen)).toEqual(new Set(su0.positives));
    expect(su0.positives[0]).toBe(String(11_960 % 300)); // the newest first
    expect(await store.load("su1", 1_000)).toMatchObject({ positives: [] });
    expect((await store.load("su1", 1_000)).seen).toHaveLength(15);
  });
});

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
