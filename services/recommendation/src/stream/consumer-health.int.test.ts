import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEntry, type EntryProcess } from "../../../../test/support/entry-process.js";
import { waitForHealth } from "../../../../test/support/health-check.js";
import { testInfra } from "../../../../test/support/infra.js";
import { scrapeByLabel } from "../../../../test/support/scrape.js";
import { CuttableProxy, freePort } from "../../../../test/support/tcp-proxy.js";

// The trending consumer process (stream/main.ts) with Redis and its Kafka bootstrap address behind
// TCP proxies the test cuts. Its gRPC health on HEALTH_PORT: readiness ("") SERVING only once it
// has joined the group and while Redis and Kafka answer; liveness SERVING while it runs.
describe("trending consumer health (real process, real Redis and Kafka)", () => {
  const infra = testInfra();
  const suffix = randomBytes(4).toString("hex");
  const topic = `health-${suffix}`;
  let redisProxy: CuttableProxy;
  let kafkaProxy: CuttableProxy;
  let proc: EntryProcess;
  let address: string;
  let metricsUrl: string;
  const dependencies = () => scrapeByLabel(metricsUrl, "recsys_dependency_up", "dependency");
  const withOutput = (err: Error): never => {
    throw new Error(`${err.message}; consumer output:\n${proc.output().slice(-4_000)}`);
  };

  beforeAll(async () => {
    const kafka = new Kafka({ clientId: "consumer-health-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const redisUrl = new URL(infra.redisUrl);
    redisProxy = new CuttableProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await redisProxy.up();
    const [brokerHost, brokerPort] = infra.kafkaBrokers[0]!.split(":") as [string, string];
    // Down at first: the consumer starts while Kafka cannot be reached.
    kafkaProxy = new CuttableProxy(brokerHost, Number(brokerPort), await freePort());
    const [healthPort, metricsPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    address = `127.0.0.1:${healthPort}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    proc = await startEntry("services/recommendation/src/stream/main.ts", {
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      KAFKA_BROKERS: `127.0.0.1:${kafkaProxy.port}`,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `health-${suffix}`,
      KAFKA_TOPIC_WAIT_MS: "120000",
      TRENDING_KEY_PREFIX: `t:health:${suffix}:`,
      // No EngagementService: the per-user state rebuild fails and retries, which health ignores.
      ENGAGEMENT_SERVICE_ADDR: `127.0.0.1:${deadPort}`,
      HEALTH_PORT: String(healthPort),
      METRICS_PORT: String(metricsPort),
      HEALTH_CHECK_INTERVAL_MS: "200",
      HEALTH_CHECK_TIMEOUT_MS: "500",
      LOG_LEVEL: "warn",
    });
  }, 60_000);

  afterAll(async () => {
    await proc?.stop();
    await redisProxy?.down().catch(() => undefined);
    await kafkaProxy?.down().catch(() => undefined);
    const admin = new Kafka({ clientId: "consumer-health-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("is live but not ready while Kafka cannot be reached, and ready once it has joined the group", async () => {
    await waitForHealth(address, { "": "NOT_SERVING", liveness: "SERVING" }, 60_000).catch(withOutput);
    expect(await dependencies()).toMatchObject({ redis: 1, kafka: 0, "kafka-consumer-group": 0 });

    await kafkaProxy.up();
    const readyMs = await waitForHealth(address, { "": "SERVING", liveness: "SERVING" }, 90_000).catch(withOutput);
    expect(await dependencies()).toEqual({ redis: 1, kafka: 1, "kafka-consumer-group": 1 });
    console.info(`consumer health: SERVING ${readyMs} ms after Kafka became reachable`);
  }, 150_000);

  it("is NOT_SERVING while Redis is unreachable and SERVING again once it is back; liveness SERVING throughout", async () => {
    await redisProxy.down();
    const downMs = await waitForHealth(address, { "": "NOT_SERVING", liveness: "SERVING" }, 15_000).catch(withOutput);
    expect(await dependencies()).toMatchObject({ redis: 0, kafka: 1 });
    await redisProxy.up();
    const upMs = await waitForHealth(address, { "": "SERVING", liveness: "SERVING" }, 15_000).catch(withOutput);
    expect(await dependencies()).toMatchObject({ redis: 1 });
    expect(proc.exited()).toBe(false);
    console.info(`consumer health: NOT_SERVING ${downMs} ms after Redis was cut, SERVING ${upMs} ms after it was back`);
  }, 60_000);
});
