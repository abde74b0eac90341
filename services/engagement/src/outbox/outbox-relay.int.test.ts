import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { ConfigResourceTypes, Kafka, logLevel, type Consumer, type KafkaMessage } from "kafkajs";
import pg from "pg";
import { pino, type Logger } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngagementEventSchema, EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { createTestDatabase, testInfra, type TestDatabase } from "../../../../test/support/infra.js";
import { createLogger } from "../../../shared/src/logger.js";
import { EventRepository } from "../data/event-repository.js";
import { insertOutboxMessage, type OutboxRow } from "../../../shared/src/outbox/outbox-repository.js";
import { engagementOutboxMessage, EVENT_ID_HEADER } from "../event-message.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { ensureTopic, ensureTopicInBackground } from "../../../shared/src/outbox/ensure-topic.js";
import { KafkaOutboxPublisher, type OutboxPublisher } from "../../../shared/src/outbox/kafka-outbox-publisher.js";
import { OutboxRelay } from "../../../shared/src/outbox/outbox-relay.js";

const logger = createLogger("outbox-relay-test");
logger.level = "silent";

interface Received {
  readonly eventId: string;
  readonly key: string;
  readonly partition: number;
  readonly receivedAt: number;
  readonly message: KafkaMessage;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("OutboxRelay (real PostgreSQL and Kafka)", () => {
  const { kafkaBrokers } = testInfra();
  const topic = `t-outbox-${randomBytes(4).toString("hex")}`;
  const kafka = new Kafka({ clientId: "outbox-relay-test", brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  let db: TestDatabase;
  let pool: pg.Pool;
  let events: EventRepository;
  let consumer: Consumer;
  const received: Received[] = [];
  const relays: OutboxRelay[] = [];

  function relay(
    options: { publisher?: OutboxPublisher; pollIntervalMs?: number; kafkaClient?: Kafka; logger?: Logger } = {},
  ): OutboxRelay {
    const r = new OutboxRelay({
      pool,
      databaseUrl: db.url,
      publisher: options.publisher ?? new KafkaOutboxPublisher(options.kafkaClient ?? kafka),
      logger: options.logger ?? logger,
      pollIntervalMs: options.pollIntervalMs ?? 60_000,
      maxBackoffMs: 500,
    });
    relays.push(r);
    return r;
  }

  /** Records an event through the repository (event row + outbox row in one transaction). */
  async function record(eventId: string, userId: string, categories: string[] = ["Comedy"]): Promise<void> {
    await events.insertWithOutbox(
      { eventId, userId, productId: "1", type: EventType.CLICK, value: 0, occurredAt: new Date() },
      (stored) => engagementOutboxMessage(topic, stored, categories),
    );
  }

  const receivedWith = (prefix: string): Received[] => received.filter((m) => m.eventId.startsWith(prefix));
  const pending = async (): Promise<number> =>
    Number((await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM outbox")).rows[0]?.n);

  beforeAll(async () => {
    db = await createTestDatabase("engagement_outbox", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    // DROP DATABASE … WITH (FORCE) at the end may terminate a connection that is still closing.
    pool.on("error", () => undefined);
    events = new EventRepository(pool);
    expect(await ensureTopic(kafka, topic, { partitions: 3 })).toBe(true);
    consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          eventId: message.headers?.[EVENT_ID_HEADER]?.toString() ?? "",
          key: message.key?.toString() ?? "",
          partition,
          receivedAt: Date.now(),
          message,
        });
      },
    });
    // Wait until the consumer owns the partitions, so latencies measure the relay, not the group join.
    await record("warmup", "w");
    const warm = relay({ pollIntervalMs: 100 });
    warm.start();
    await waitFor("the warm-up message", () => receivedWith("warmup").length === 1, 60_000);
    await warm.stop();
  }, 120_000);

  // A failed assertion must not leave a relay running into the next test.
  afterEach(async () => {
    await Promise.all(relays.map((r) => r.stop()));
  });

  afterAll(async () => {
    await consumer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await pool?.end();
    await db?.drop();
  });

  it("ensureTopic leaves an existing topic alone", async () => {
    expect(await ensureTopic(kafka, topic, { partitions: 5 })).toBe(false);
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it("ensureTopic creates the topic with a 7-day retention.ms", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["retention.ms"] }] });
      expect(described.resources[0]?.configEntries.find((e) => e.configName === "retention.ms")?.configValue).toBe("604800000");
    } finally {
      await admin.disconnect();
    }
  });

  it("ensureTopicInBackground keeps trying while Kafka is unreachable, and resolves once the topic exists", async () => {
    const lines: { level: number; msg: string }[] = [];
    const capture = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const unreachable = new Kafka({ brokers: ["127.0.0.1:1"], connectionTimeout: 200, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
    const failing = ensureTopicInBackground(unreachable, `${topic}-never`, { logger: capture, retryMs: 50 });
    await waitFor("a warning", () => lines.some((l) => l.level === 40));
    await new Promise((res) => setTimeout(res, 300));
    failing.stop();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    const ok = ensureTopicInBackground(kafka, topic, { logger: capture });
    await ok.ready;
    ok.stop();
  });

  it("publishes committed rows keyed by user with the event-id header, in order per user, and deletes them", async () => {
    const r = relay();
    r.start();
    const users = ["ua", "ub", "uc"];
    for (let i = 0; i < 30; i += 1) await record(`pub-${String(i).padStart(2, "0")}`, users[i % 3]!, ["Drama", "War"]);
    await waitFor("30 messages", () => receivedWith("pub-").length === 30);
    await waitFor("an empty outbox", async () => (await pending()) === 0);

    const got = receivedWith("pub-");
    expect(new Set(got.map((m) => m.eventId)).size).toBe(30);
    for (const m of got) {
      const decoded = fromBinary(EngagementEventSchema, m.message.value!);
      expect(decoded.event?.eventId).toBe(m.eventId);
      expect(decoded.event?.userId).toBe(m.key);
      expect(decoded.categories).toEqual(["Drama", "War"]);
    }
    for (const user of users) {
      const mine = got.filter((m) => m.key === user);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      expect(mine.map((m) => m.eventId)).toEqual([...mine.map((m) => m.eventId)].sort());
    }
    const metrics = await r.metrics();
    expect(metrics).toMatchObject({ published: 30, pending: 0, failures: 0, failing: false });
    await r.stop();
  });

  it("is woken by NOTIFY (the fallback poll is 60 s here) and measures commit-to-consumer latency", async () => {
    const r = relay();
    r.start();
    await waitFor("the relay to go idle", async () => (await pending()) === 0);
    await new Promise((res) => setTimeout(res, 200));
    const latencies: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const committedAt = Date.now();
      await record(`lat-${i}`, "ul");
      const committed = Date.now();
      await waitFor(`lat-${i}`, () => receivedWith(`lat-${i}`).length === 1, 10_000);
      latencies.push(receivedWith(`lat-${i}`)[0]!.receivedAt - committed);
      expect(receivedWith(`lat-${i}`)[0]!.receivedAt - committedAt).toBeLessThan(10_000);
    }
    latencies.sort((a, b) => a - b);
    console.info(
      `outbox relay commit→consumer latency over 20 events: median ${latencies[10]} ms, max ${latencies[19]} ms`,
    );
    await r.stop();
  });

  it("re-establishes LISTEN after its connection is killed", async () => {
    const r = relay();
    r.start();
    const listening = async (): Promise<number[]> =>
      (
        await pool.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN outbox'",
        )
      ).rows.map((row) => row.pid);
    await waitFor("the LISTEN connection", async () => (await listening()).length === 1);
    const [pid] = await listening();
    await pool.query("SELECT pg_terminate_backend($1)", [pid]);
    await waitFor("a new LISTEN connection", async () => {
      const pids = await listening();
      return pids.length === 1 && pids[0] !== pid;
    });
    await record("relisten-1", "ur");
    await waitFor("relisten-1", () => receivedWith("relisten-1").length === 1, 10_000);
    await r.stop();
  });

  it("keeps rows while Kafka is unreachable, then a relay with the right broker publishes each exactly once", async () => {
    const wrongKafka = new Kafka({
      clientId: "outbox-relay-test-wrong",
      brokers: ["127.0.0.1:1"],
      connectionTimeout: 300,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const down = relay({ kafkaClient: wrongKafka, pollIntervalMs: 100 });
    down.start();
    for (let i = 0; i < 30; i += 1) await record(`outage-${i}`, `uo${i % 4}`);
    await waitFor("three failed attempts", async () => (await down.metrics()).failures >= 3);
    const failing = await down.metrics();
    expect(failing).toMatchObject({ published: 0, pending: 30, failing: true });
    const stopStarted = Date.now();
    await down.stop();
    expect(Date.now() - stopStarted).toBeLessThan(5_000);
    expect(await pending()).toBe(30);
    expect(receivedWith("outage-")).toHaveLength(0);

    const up = relay();
    up.start();
    await waitFor("30 messages", () => receivedWith("outage-").length === 30);
    await waitFor("an empty outbox", async () => (await pending()) === 0);
    await new Promise((res) => setTimeout(res, 1_000));
    const got = receivedWith("outage-");
    expect(got).toHaveLength(30);
    expect(new Set(got.map((m) => m.eventId)).size).toBe(30);
    await up.stop();
  });

  it("rolls back and retries with backoff when a send fails, losing and duplicating nothing", async () => {
    const real = new KafkaOutboxPublisher(kafka);
    let failuresLeft = 3;
    let resets = 0;
    const flaky: OutboxPublisher = {
      async publish(rows: readonly OutboxRow[]) {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw Object.assign(new Error("broker connection lost"), { code: "ECONNRESET" });
        }
        await real.publish(rows);
      },
      async reset() {
        resets += 1;
        await real.reset();
      },
      close: () => real.close(),
    };
    const lines: { level: number; msg: string; failedAttempts?: number; pending?: number }[] = [];
    const capture = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const r = relay({ publisher: flaky, pollIntervalMs: 100, logger: capture });
    for (let i = 0; i < 12; i += 1) await record(`flaky-${i}`, "uf");
    r.start();
    await waitFor("12 messages", () => receivedWith("flaky-").length === 12);
    await waitFor("an empty outbox", async () => (await pending()) === 0);
    await new Promise((res) => setTimeout(res, 500));
    expect(receivedWith("flaky-")).toHaveLength(12);
    expect(receivedWith("flaky-").map((m) => m.eventId)).toEqual(Array.from({ length: 12 }, (_, i) => `flaky-${i}`));
    expect(await r.metrics()).toMatchObject({ failures: 3, published: 12, failing: false });
    expect(resets).toBe(3);
    // One warning when the outage starts (with the rows waiting), one line when it ends.
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ pending: 12 });
    expect(lines.filter((l) => l.msg === "outbox relay publishing again")).toEqual([
      expect.objectContaining({ failedAttempts: 3 }),
    ]);
    await r.stop();
  });

  it("stops cleanly in the middle of a backlog: each row is either published once or still pending", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      for (let i = 0; i < 1_200; i += 1) {
        await insertOutboxMessage(client, {
          topic,
          key: `ud${i % 7}`,
          payload: new Uint8Array([i % 256]),
          headers: { [EVENT_ID_HEADER]: `drain-${i}` },
        });
      }
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const r = relay();
    r.start();
    await waitFor("the first batch", async () => (await r.metrics()).published > 0);
    await r.stop();
    const published = (await r.metrics()).published;
    const left = await pending();
    expect(published % 500 === 0 || published === 1_200).toBe(true);
    expect(published + left).toBe(1_200);
    await waitFor(`${published} messages`, () => receivedWith("drain-").length >= published);
    await new Promise((res) => setTimeout(res, 500));
    expect(receivedWith("drain-")).toHaveLength(published);

    const rest = relay();
    rest.start();
    await waitFor("1200 messages", () => receivedWith("drain-").length === 1_200);
    expect(new Set(receivedWith("drain-").map((m) => m.eventId)).size).toBe(1_200);
    await rest.stop();
  });
});
