import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Redis } from "ioredis";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngagementEventSchema, EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { testInfra } from "../../../../test/support/infra.js";
import { RedisCoverageMarkers } from "../storage/trending/coverage-markers.js";
import { connectTrendingRedis } from "../storage/trending/trending-redis.js";
import { RedisTrendingStore } from "../storage/trending/redis-trending-store.js";
import { kafkaLogBounds, StateLossReplay, type PartitionBounds } from "./state-loss-replay.js";
import { createTrendingKafkaConsumer, TrendingConsumer } from "./trending-consumer.js";

const logger = pino({ level: process.env.DEBUG_REPLAY ? "debug" : "silent" });
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function message(eventId: string, productId: string, type: EventType, userId: string): { key: string; value: Buffer } {
  const value = toBinary(
    EngagementEventSchema,
    create(EngagementEventSchema, { event: { eventId, userId, productId, type, occurTime: timestampFromMs(NOW) }, categories: ["Drama"] }),
  );
  return { key: userId, value: Buffer.from(value) };
}

describe("StateLossReplay with TrendingConsumer (real Kafka and Redis)", () => {
  const infra = testInfra();
  const kafka = new Kafka({ clientId: "state-loss-replay-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const suffix = randomBytes(4).toString("hex");
  const topic = `t-replay-${suffix}`;
  const prefix = `test:replay:${suffix}:`;
  let producer: Producer;
  let redis: Redis;
  const stops: (() => Promise<void>)[] = [];

  /** Deletes every key of the test's prefix: what a Redis restart without persistence does. */
  async function loseState(): Promise<void> {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }

  async function start(): Promise<{ consumer: TrendingConsumer; replay: StateLossReplay; store: RedisTrendingStore }> {
    const store = new RedisTrendingStore(redis, { prefix, now: () => NOW });
    const kafkaConsumer = createTrendingKafkaConsumer(kafka, { groupId: `g-${suffix}`, sessionTimeoutMs: 6_000 });
    const bounds = kafkaLogBounds(kafka);
    const replay = new StateLossReplay({
      consumer: kafkaConsumer,
      topic,
      markers: new RedisCoverageMarkers(redis, prefix),
      logBounds: bounds.bounds,
      logger,
      checkIntervalMs: 100,
    });
    const consumer = new TrendingConsumer(kafkaConsumer, store, logger, { topic, replay, initialBackoffMs: 20, maxBackoffMs: 100 });
    await consumer.start();
    stops.push(async () => {
      await consumer.stop();
      await bounds.close();
    });
    return { consumer, replay, store };
  }

  async function clicks(store: RedisTrendingStore, ids: string[]): Promise<number[]> {
    const stats = await store.stats(ids);
    return ids.map((id) => stats.get(id)!.click);
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
    for (const stop of stops.splice(0)) await stop();
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await loseState();
    await redis?.quit();
  });

  it("rebuilds the exact counts from the log after the state is lost, while idle and while events flow, counting each event once", async () => {
    // 30 clicks on p1 and 15 on p2 from 15 users, spread over the three partitions (at most 2 clicks
    // of a user on a product, under the per-account cap of 3 an hour, so every click scores).
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 45 }, (_, i) => message(`e${i}`, i < 30 ? "p1" : "p2", EventType.CLICK, `u${i % 15}`)),
    });
    const { consumer, replay, store } = await start();
    await waitFor("the first 45 events", async () => (await clicks(store, ["p1", "p2"])).join() === "30,15");
    const replaysAfterStart = replay.replayCount; // a first start with no markers reads from the log start
    await new Promise((r) => setTimeout(r, 500));
    expect(replay.replayCount).toBe(replaysAfterStart); // an intact store is never replayed

    // Lost while idle: the periodic check notices and replays every partition.
    await loseState();
    await waitFor("the idle rebuild", async () => (await clicks(store, ["p1", "p2"])).join() === "30,15");
    expect(replay.replayCount).toBe(replaysAfterStart + 3);

    // Lost while events flow: new events land in the empty store first; the replay counts them once.
    await loseState();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 9 }, (_, i) => message(`f${i}`, "p2", EventType.CLICK, `u${i}`)) });
    await waitFor("the rebuild with new events", async () => { const c = (await clicks(store, ["p1", "p2"])).join(); if (process.env.DEBUG_REPLAY) console.log(c); return c === "30,24"; });
    await new Promise((r) => setTimeout(r, 500));
    expect(await clicks(store, ["p1", "p2"])).toEqual([30, 24]);
    const stats = await store.stats(["p1"]);
    expect(stats.get("p1")).toMatchObject({ click: 30, view: 0, like: 0 });
    expect((await store.scores(["p1"])).get("p1")).toBeCloseTo(30, 9);
    expect(consumer.metrics().storeFailures).toBe(0);
  }, 60_000);

  it("after FLUSHDB (watermarks and dedup windows lost with the statistics) rebuilds once, a relay re-publish still counted once", async () => {
    // A Redis database of its own, so that FLUSHDB clears nothing of the suites running beside it.
    const url = new URL(infra.redisUrl);
    url.pathname = "/13";
    const flushable = await connectTrendingRedis(url.toString(), logger);
    const flushTopic = `${topic}-flush`;
    const admin = kafka.admin();
    await admin.connect();
    let stop: (() => Promise<void>) | undefined;
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: flushTopic, numPartitions: 3 }] });
      await flushable.flushdb();
      // 12 clicks on p3 from 6 users; then the outbox relay's re-publish of the first 4 (the same
      // (user, event id), same partition, later offsets).
      const first = Array.from({ length: 12 }, (_, i) => message(`g${i}`, "p3", EventType.CLICK, `w${i % 6}`));
      await producer.send({ topic: flushTopic, acks: -1, messages: first });
      await producer.send({ topic: flushTopic, acks: -1, messages: first.slice(0, 4) });
      const store = new RedisTrendingStore(flushable, { prefix, now: () => NOW });
      const kafkaConsumer = createTrendingKafkaConsumer(kafka, { groupId: `g-flush-${suffix}`, sessionTimeoutMs: 6_000 });
      const bounds = kafkaLogBounds(kafka);
      const replay = new StateLossReplay({
        consumer: kafkaConsumer,
        topic: flushTopic,
        markers: new RedisCoverageMarkers(flushable, prefix),
        logBounds: bounds.bounds,
        logger,
        checkIntervalMs: 100,
      });
      const consumer = new TrendingConsumer(kafkaConsumer, store, logger, { topic: flushTopic, replay, initialBackoffMs: 20, maxBackoffMs: 100 });
      stop = async () => {
        await consumer.stop();
        await bounds.close();
      };
      await consumer.start();
      const offsets = await admin.fetchTopicOffsets(flushTopic);
      const filled = offsets.filter((o) => Number(o.high) > 0);
      const clicksOf = async () => (await store.stats(["p3"])).get("p3")!.click;
      const watermarksAtEnd = async () => (await Promise.all(filled.map((o) => store.watermark(flushTopic, o.partition)))).every((w, i) => w === Number(filled[i]!.high) - 1);
      await waitFor("the 16 messages", async () => (await watermarksAtEnd()) && (await clicksOf()) === 12);
      // Each event applied once (a batch that raced the first coverage check is skipped by the window when replayed).
      expect(consumer.metrics().applied).toBe(12);
      expect(consumer.metrics().duplicates).toBeGreaterThanOrEqual(4);
      const replaysBefore = replay.replayCount;

      await flushable.flushdb();
      await waitFor("the rebuild", async () => (await watermarksAtEnd()) && (await clicksOf()) === 12);
      await new Promise((r) => setTimeout(r, 500));
      expect(await clicksOf()).toBe(12);
      expect((await store.scores(["p3"])).get("p3")).toBeCloseTo(12, 9);
      expect(replay.replayCount).toBe(replaysBefore + filled.length); // one replay per partition holding events
      expect(consumer.metrics()).toMatchObject({ applied: 24, storeFailures: 0 });
      expect(consumer.metrics().duplicates).toBeGreaterThanOrEqual(8);
      // What the rebuild left: one watermark per partition and windows of the retained events.
      let windowed = 0;
      for (const o of filled) windowed += await flushable.zcard(store.dedupWindowKey({ topic: flushTopic, partition: o.partition }));
      expect(windowed).toBe(12);
    } finally {
      await stop?.();
      await admin.deleteTopics({ topics: [flushTopic] }).catch(() => undefined);
      await admin.disconnect();
      await flushable.flushdb().catch(() => undefined);
      await flushable.quit();
    }
  }, 60_000);

  it("marks an empty partition covered without seeking, and seeks only assigned partitions", async () => {
    const sought: number[] = [];
    const marked: string[] = [];
    const markers = {
      missing: async (_t: string, ps: readonly number[]) => ps.filter((p) => !marked.includes(`${p}`)),
      mark: async (_t: string, p: number) => void marked.push(`${p}`),
    };
    const bounds = new Map<number, PartitionBounds>([
      [0, { low: "0", high: "0" }],
      [1, { low: "5", high: "9" }],
      [2, { low: "0", high: "3" }],
    ]);
    const replay = new StateLossReplay({
      consumer: { seek: ({ partition }) => void sought.push(partition) },
      topic: "t",
      markers,
      logBounds: async () => bounds,
      logger,
    });
    replay.setAssignment([0, 1]);
    await replay.check();
    expect(sought).toEqual([1]);
    expect(marked).toEqual(["0"]);
    expect(await replay.beforeBatch(1, true)).toBe("skip"); // fetched before the seek
    expect(await replay.verify(1)).toBe(false); // still being replayed: never commit
    expect(await replay.beforeBatch(1, false)).toBe("apply"); // the first batch from the log start
    expect(marked).toEqual(["0", "1"]);
    expect(await replay.verify(1)).toBe(true);
    expect(replay.replayCount).toBe(1);
  });

  it("applies no batch of a partition between the replay request and its seek", async () => {
    let release: (() => void) | undefined;
    const boundsRead = new Promise<void>((r) => (release = r));
    const sought: number[] = [];
    const marked: number[] = [];
    const replay = new StateLossReplay({
      consumer: { seek: ({ partition }) => void sought.push(partition) },
      topic: "t",
      markers: { missing: async (_t, ps) => ps.filter((p) => !marked.includes(p)), mark: async (_t, p) => void marked.push(p) },
      logBounds: async () => {
        await boundsRead;
        return new Map([[3, { low: "0", high: "7" }]]);
      },
      logger,
    });
    replay.setAssignment([3]); // starts a check, which waits for the bounds
    await new Promise((r) => setTimeout(r, 20));
    expect(await replay.beforeBatch(3, false)).toBe("skip"); // would mark p3 covered before the seek
    expect(marked).toEqual([]);
    release!();
    await replay.check();
    await waitFor("the seek", () => sought.length === 1);
    expect(await replay.beforeBatch(3, false)).toBe("apply");
    expect(marked).toEqual([3]);
  });
});
