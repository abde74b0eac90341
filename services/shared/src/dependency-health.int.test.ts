import { Redis } from "ioredis";
import { logLevel } from "kafkajs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { waitForHealth } from "../../../test/support/health-check.js";
import { createTestDatabase, testInfra, type TestDatabase } from "../../../test/support/infra.js";
import { CuttableProxy, freePort } from "../../../test/support/tcp-proxy.js";
import { DependencyMonitor, kafkaProbe, postgresProbe, redisProbe } from "./dependency-health.js";
import { createGrpcServer, LIVENESS_SERVICE, registration, type GrpcServer } from "./grpc-server.js";
import { metricsRegistry } from "./metrics.js";

const logger = pino({ level: "silent" });
const SERVICE = ProductService.typeName;

async function dependencyUp(): Promise<Record<string, number>> {
  const metric = await metricsRegistry.getSingleMetric("recsys_dependency_up")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.dependency), v.value]));
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Real PostgreSQL, Redis and Kafka, each behind a TCP proxy the test cuts (the servers themselves
// are shared with other suites and keep running); a real gRPC server whose readiness follows the
// monitor, asked over grpc.health.v1 like a Kubernetes probe would.
describe("health that follows dependencies (real PostgreSQL, Redis and Kafka behind cuttable proxies)", () => {
  const infra = testInfra();
  let db: TestDatabase;
  let pgProxy: CuttableProxy;
  let redisProxy: CuttableProxy;
  let redis: Redis;
  let server: GrpcServer;
  let monitor: DependencyMonitor;
  let address: string;

  beforeAll(async () => {
    db = await createTestDatabase("health");
    const pgUrl = new URL(db.url);
    pgProxy = new CuttableProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    await pgProxy.up();
    pgUrl.host = `127.0.0.1:${pgProxy.port}`;
    const redisUrl = new URL(infra.redisUrl);
    redisProxy = new CuttableProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await redisProxy.up();
    redis = new Redis(`redis://127.0.0.1:${redisProxy.port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on("error", () => undefined);
    await until("redis ready", async () => redis.status === "ready");

    monitor = new DependencyMonitor({
      probes: [postgresProbe("postgres", pgUrl.toString(), { required: true, timeoutMs: 500, logger }), redisProbe("redis", redis, false)],
      intervalMs: 100,
      timeoutMs: 500,
      logger,
    });
    expect(await monitor.start()).toBe(true);
    server = createGrpcServer({ logger, services: [registration(ProductService, {})] });
    server.followReadiness(monitor);
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  });

  afterAll(async () => {
    await server?.shutdown(1_000);
    await monitor?.stop();
    redis?.disconnect();
    await pgProxy?.down().catch(() => undefined);
    await redisProxy?.down().catch(() => undefined);
    await db?.drop();
  });

  it("is SERVING (readiness and liveness) while PostgreSQL answers, and an unknown name is NOT_FOUND", async () => {
    await waitForHealth(address, { "": "SERVING", [SERVICE]: "SERVING", [LIVENESS_SERVICE]: "SERVING", "recsys.nope.v1.Nope": "NOT_FOUND" }, 5_000);
    expect(await dependencyUp()).toMatchObject({ postgres: 1, redis: 1 });
  });

  it("readiness is NOT_SERVING while PostgreSQL is unreachable and SERVING again once it is back; liveness stays SERVING", async () => {
    await pgProxy.down();
    const downMs = await waitForHealth(address, { "": "NOT_SERVING", [SERVICE]: "NOT_SERVING", [LIVENESS_SERVICE]: "SERVING" }, 10_000);
    expect(monitor.states().get("postgres")).toMatchObject({ up: false, required: true });
    expect(await dependencyUp()).toMatchObject({ postgres: 0 });
    await pgProxy.up();
    const upMs = await waitForHealth(address, { "": "SERVING", [SERVICE]: "SERVING", [LIVENESS_SERVICE]: "SERVING" }, 10_000);
    expect(await dependencyUp()).toMatchObject({ postgres: 1 });
    console.info(`health: NOT_SERVING ${downMs} ms after PostgreSQL was cut, SERVING ${upMs} ms after it was back`);
  });

  it("an optional dependency (Redis here) that is down shows in recsys_dependency_up only, not in readiness", async () => {
    await redisProxy.down();
    await until("redis probe down", async () => monitor.states().get("redis")?.up === false);
    expect(await dependencyUp()).toMatchObject({ redis: 0, postgres: 1 });
    await waitForHealth(address, { "": "SERVING", [SERVICE]: "SERVING" }, 1_000);
    await redisProxy.up();
    await until("redis probe up", async () => monitor.states().get("redis")?.up === true);
    expect(await dependencyUp()).toMatchObject({ redis: 1 });
  });
});

describe("kafkaProbe (real Kafka through a bootstrap proxy)", () => {
  it("fails while the broker cannot be reached and succeeds once it can", async () => {
    const [host, port] = testInfra().kafkaBrokers[0]!.split(":") as [string, string];
    const proxy = new CuttableProxy(host, Number(port), await freePort());
    const probe = kafkaProbe("kafka", { clientId: "health-test", brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING }, { required: true, timeoutMs: 500 });
    try {
      let started = Date.now();
      await expect(probe.check()).rejects.toThrow();
      // Fast, without kafkajs' own retries: well within one probe timeout (500 ms) plus slack.
      expect(Date.now() - started).toBeLessThan(2_000);
      await proxy.up();
      started = Date.now();
      // The first check after the bootstrap address answers again connects a fresh admin client.
      await until("the probe to succeed", () => probe.check().then(() => true, () => false), 15_000);
      console.info(`kafkaProbe: succeeded ${Date.now() - started} ms after the broker was reachable`);
    } finally {
      await probe.close?.();
      await proxy.down().catch(() => undefined);
    }
  });
});
