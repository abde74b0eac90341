import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Redis } from "ioredis";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { pino, type Logger } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngagementEventSchema, EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../test/support/infra.js";
import { CuttableProxy } from "../../../../test/support/tcp-proxy.js";
import { RedisTrendingStore } from "../storage/trending/redis-trending-store.js";
import { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import type { UserStateRules } from "../storage/user-state/user-state-config.js";
import { connectTrendingRedis } from "../storage/trending/trending-redis.js";
import { createTrendingKafkaConsumer, TrendingConsumer } from "./trending-consumer.js";

const logger = pino({ level: "silent" });
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function engagementEvent(eventId: string, productId: string, type: EventType, categories: string[], userId = "u1"): Buffer {
  return Buffer.from(
    toBinary(
      EngagementEventSchema,
      create(EngagementEventSchema, {
        event: { eventId, userId, productId, type, value: type === EventType.RATE ? 4 : 0, occurTime: timestampFromMs(NOW) },
        categories,
      }),
    ),
  );
}

describe("TrendingConsumer (real Kafka and Redis)", () => {
  const infra = testInfra();
  const kafka = new Kafka({ clientId: "trending-consumer-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const suffix = randomBytes(4).toString("hex");
  const topic = `t-trending-${suffix}`;
  let producer: Producer;
  let redis: Redis;
  const consumers: TrendingConsumer[] = [];
  const prefixes: string[] = [];

  function store(client: Redis = redis, prefix = `test:consumer:${suffix}:${randomBytes(3).toString("hex")}:`) {
    prefixes.push(prefix);
    return new RedisTrendingStore(client, { prefix, now: () => NOW, tauSeconds: 3_600 });
  }

  async function startConsumer(
    s: RedisTrendingStore,
    options: { groupId?: string; log?: Logger; userState?: Pick<RedisUserStateStore, "applyBatch"> } = {},
  ): Promise<TrendingConsumer> {
    const c = new TrendingConsumer(
      createTrendingKafkaConsumer(kafka, { groupId: options.groupId ?? `g-${suffix}-${randomBytes(3).toString("hex")}` }),
      s,
      options.log ?? logger,
      { topic, initialBackoffMs: 50, maxBackoffMs: 200, userState: options.userState },
    );
    consumers.push(c);
    await c.start();
    return c;
  }

  async function committed(groupId: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async function publish(messages: { key: string; value: Buffer }[]): Promise<void> {
    await producer.send({ topic, acks: -1, messages });
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    redis = await connectTrendingRedis(infra.redisUrl, logger);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis?.quit();
  });

  it("applies published events once, skips malformed messages, and commits past them; keeps the per-user state from the same events", async () => {
    const s = store();
    const userPrefix = `test:consumer:${suffix}:users:`;
    prefixes.push(userPrefix);
    const rules: UserStateRules = { positiveRating: 3.5, seenKinds: new Set(["rate", "like", "dislike"]), maxSeen: 100, maxPositives: 10 };
    const userState = new RedisUserStateStore(redis, rules, userPrefix);
    const groupId = `g-${suffix}-e2e`;
    const c = await startConsumer(s, { groupId, userState });
    const dup = engagementEvent("dup-1", "10", EventType.LIKE, ["Drama"]);
    await publish([
      { key: "u1", value: engagementEvent("a1", "10", EventType.CLICK, ["Drama", "War"]) },
      { key: "u2", value: engagementEvent("a2", "10", EventType.VIEW, ["Drama", "War"], "u2") },
      { key: "u1", value: dup },
      { key: "u3", value: engagementEvent("a3", "20", EventType.CLICK, ["Comedy"], "u3") },
      { key: "u3", value: Buffer.from("definitely not protobuf \u0000\u00ff") },
      { key: "u3", value: Buffer.from(toBinary(EngagementEventSchema, create(EngagementEventSchema, { categories: ["x"] }))) },
      { key: "u1", value: dup }, // the same event redelivered
      { key: "u4", value: engagementEvent("a4", "30", EventType.DISLIKE, ["Comedy"], "u4") },
      { key: "u4", value: engagementEvent("a5", "30", EventType.RATE, ["Comedy"], "u4") },
    ]);
    await waitFor("all messages handled", () => {
      const m = c.metrics();
      return m.applied + m.duplicates + m.malformed === 9;
    });
    // u1's like, u4's dislike and u4's rating (4 stars, same time: the later applied wins); the
    // clicks and the view are not seen kinds, and the redelivered like changes nothing.
    expect(c.metrics()).toMatchObject({ applied: 6, duplicates: 1, userStateChanges: 3, malformed: 2, storeFailures: 0 });
    expect(await userState.load("u1", 10)).toMatchObject({ positives: ["10"], seen: ["10"] });
    expect(await userState.load("u4", 10)).toMatchObject({ positives: ["30"], seen: ["30"] });
    expect(await userState.load("u3", 10)).toEqual({ version: "0", positives: [], seen: [] });
    const scores = await s.scores(["10", "20", "30"]);
    expect(scores.get("10")).toBeCloseTo(1 + 1 + 2, 12); // click + view + like (once)
    expect(scores.get("20")).toBeCloseTo(1, 12);
    expect(scores.get("30")).toBeCloseTo(1, 12); // dislike 0 + rate 1
    expect((await s.top("war", 10)).map((e) => e.productId)).toEqual(["10"]);
    expect((await s.stats(["10"])).get("10")).toMatchObject({ click: 1, view: 1, like: 1 });
    await waitFor("offsets committed past every message", async () => (await committed(groupId)) === 9);
  });

  it("retries the whole chunk while the per-user state fails, then commits; counts each event once", async () => {
    const s = store();
    const userPrefix = `test:consumer:${suffix}:flaky-users:`;
    prefixes.push(userPrefix);
    const rules: UserStateRules = { positiveRating: 3.5, seenKinds: new Set(["rate", "like", "dislike"]), maxSeen: 100, maxPositives: 10 };
    const real = new RedisUserStateStore(redis, rules, userPrefix);
    let failures = 2;
    const flaky: Pick<RedisUserStateStore, "applyBatch"> = {
      applyBatch: async (events) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error("user state store down");
        }
        return real.applyBatch(events);
      },
    };
    const groupId = `g-${suffix}-flaky`;
    const c = await startConsumer(s, { groupId, userState: flaky });
    await waitFor("all messages handled", () => {
      const m = c.metrics();
      return m.applied + m.duplicates + m.malformed === 9;
    });
    expect(c.metrics()).toMatchObject({ applied: 6, duplicates: 1, userStateChanges: 3, malformed: 2, storeFailures: 2, storeDown: false });
    expect((await s.scores(["10"])).get("10")).toBeCloseTo(4, 12); // the retried chunk counted once in trending too
    expect(await real.load("u4", 10)).toMatchObject({ positives: ["30"], seen: ["30"] });
    await waitFor("offsets committed past every message", async () => (await committed(groupId)) === 9);
  });

  it("a consumer group replaying the topic applies nothing twice", async () => {
    const s = store();
    const first = await startConsumer(s);
    await waitFor("first replay", () => first.metrics().applied === 6);
    const second = await startConsumer(s);
    await waitFor("second replay", () => second.metrics().duplicates + second.metrics().malformed === 9);
    expect(second.metrics().applied).toBe(0);
    expect((await s.scores(["10"])).get("10")).toBeCloseTo(4, 12);
  });

  it("pauses through a Redis outage without committing, then applies everything once", async () => {
    const target = new URL(infra.redisUrl);
    const proxy = new CuttableProxy(target.hostname, Number(target.port || 6379));
    await proxy.up();
    const proxied = await connectTrendingRedis(`redis://127.0.0.1:${proxy.port}`, logger, { commandTimeoutMs: 1_000 });
    try {
      const s = store(proxied);
      const lines: { level: number; msg: string }[] = [];
      const log = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
      const groupId = `g-${suffix}-outage`;
      const c = await startConsumer(s, { groupId, log });
      await waitFor("the replay of earlier messages", () => c.metrics().applied === 6);
      await waitFor("its offsets", async () => (await committed(groupId)) === 9);

      await proxy.down();
      await publish(
        // 20 accounts, one click each (one account's clicks would be capped at 3 per product and hour).
        Array.from({ length: 20 }, (_, i) => ({ key: `o${i}`, value: engagementEvent(`out-${i}`, "40", EventType.CLICK, ["Horror"], `o${i}`) })),
      );
      await waitFor("store failures", () => c.metrics().storeFailures >= 3);
      expect(c.metrics().storeDown).toBe(true);
      expect(await committed(groupId)).toBe(9); // nothing committed while Redis is down

      await proxy.up();
      await waitFor("recovery", () => c.metrics().applied === 26);
      await waitFor("offsets after recovery", async () => (await committed(groupId)) === 29);
      expect(c.metrics().storeDown).toBe(false);
      expect((await s.scores(["40"])).get("40")).toBeCloseTo(20, 12);
      expect(lines.filter((l) => l.level === 40 && /trending store failing/.test(l.msg))).toHaveLength(1);
      expect(lines.filter((l) => /reachable again/.test(l.msg))).toHaveLength(1);
    } finally {
      proxied.disconnect();
      await proxy.down().catch(() => undefined);
    }
  }, 60_000);

  it("measures the apply rate on a backlog of 10,000 events", async () => {
    const s = store();
    const products = Array.from({ length: 500 }, (_, i) => String(1_000 + i));
    const messages = Array.from({ length: 10_000 }, (_, i) => ({
      key: `r${i}`,
      value: engagementEvent(`rate-${i}`, products[(i * 7919) % products.length]!, EventType.CLICK, ["Action", "Sci-Fi"], `r${i}`),
    }));
    for (let i = 0; i < messages.length; i += 2_000) await publish(messages.slice(i, i + 2_000));
    const c = await startConsumer(s);
    // Time from the first applied event to the last, so the group join is not counted.
    await waitFor("the first events", () => c.metrics().applied > 29);
    const started = performance.now();
    const startCount = c.metrics().applied;
    await waitFor("the backlog", () => c.metrics().applied === 26 + 10_000, 60_000);
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `trending consumer: ${10_026 - startCount} events applied in ${seconds.toFixed(2)} s = ${Math.round((10_026 - startCount) / seconds)} events/s`,
    );
    const top = await s.top(undefined, 3);
    expect(top[0]!.score).toBeCloseTo(20, 12); // 10,000 clicks over 500 products; product 40 has 20 too
    expect(await redis.zcard(`${prefixes.at(-1)}trending:cat:sci-fi`)).toBe(500);
  }, 60_000);
});
