/**
 * Throughput benchmark of the real-time path: RecordEvents → PostgreSQL (event rows + outbox, one
 * transaction per batch) → outbox relay → Kafka → trending consumer → Redis, for a fixed time under
 * a steady stream of full batches, then until every accepted event is applied. Goal: ≥ 10,000
 * events/s sustained on a 2-core machine, with the count applied equal to the count accepted.
 *
 * It starts its own mesh (PostgreSQL :25471, Redis :26411, Kafka :29142, Envoy :28111, services
 * 21355-21358, data in .run/bench-throughput; 300-movie MovieLens subset) and calls the engagement
 * service over gRPC directly (as an internal bulk producer would, with the service token), not
 * through Envoy, whose per-address rate limit would otherwise be what is measured.
 *
 * Prints: accepted events/s over the run, applied events/s over the run and end to end (until the
 * last event is in Redis), the backlog per stage when the load stops (outbox rows, Kafka lag), and the
 * CPU each process used (where the time goes: the bottleneck).
 *
 * Usage: `npm run bench:throughput -- [seconds=60] [batches in flight=4] [events per batch=1000]`.
 * Environment: extra service settings pass through, for example OUTBOX_BATCH_SIZE=2000.
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { EngagementService, RecordEventRequestSchema } from "../gen/recsys/engagement/v1/engagement_service_pb.js";
import { RedisTrendingStore } from "../services/recommendation/src/storage/trending/redis-trending-store.js";
import { planEvents, readCatalog, type PlannedEvent } from "../scripts/mesh-support/event-load.js";
import { BENCH_MESH_PORTS, OWN_MESH_AUTH_HEADERS, startOwnMesh } from "../scripts/mesh-support/private-mesh.js";
import { CpuMeter } from "./support/process-cpu.js";
import { printMachine } from "./support/machine.js";

const seconds = Number(process.argv[2] ?? 60);
const inFlight = Number(process.argv[3] ?? 4);
const batchSize = Number(process.argv[4] ?? 1000);
const TUNABLES = ["OUTBOX_BATCH_SIZE", "OUTBOX_POLL_INTERVAL_MS", "TRENDING_APPLY_CHUNK", "KAFKA_MAX_WAIT_MS", "LOG_LEVEL"];

printMachine();
console.log(`throughput: ${seconds} s of RecordEvents, ${inFlight} batches of ${batchSize} in flight`);
const serviceEnv = Object.fromEntries(TUNABLES.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
const ports = BENCH_MESH_PORTS.throughput;
const mesh = await startOwnMesh({
  name: "bench-throughput",
  ports: ports.infra,
  servicePorts: ports.services,
  serviceEnv: { LOG_LEVEL: "warn", ...serviceEnv },
});
console.log(`mesh up in ${Object.values(mesh.timings).reduce((a, b) => a + b, 0)} ms; service settings ${JSON.stringify(serviceEnv)}`);

const redis = new Redis(mesh.infra.redisUrl);
const pool = new pg.Pool({ connectionString: mesh.infra.pgUrlFor(mesh.databases.engagement), max: 2 });
const kafka = new Kafka({ clientId: "bench-throughput", brokers: [...mesh.infra.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
try {
  const catalog = readCatalog(mesh.imported.dir);
  const products = catalog.products;
  const store = new RedisTrendingStore(redis);
  const applied = async (): Promise<number> => {
    let total = 0;
    for (const c of (await store.stats(products)).values()) total += c.click + c.view + c.like + c.dislike + c.rate;
    return total;
  };
  await admin.connect();
  const kafkaLag = async (): Promise<number> => {
    const ends = await admin.fetchTopicOffsets("engagement-events");
    const [group] = await admin.fetchOffsets({ groupId: "recsys-trending", topics: ["engagement-events"] });
    const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return ends.reduce((lag, p) => lag + Number(p.high) - (committed.get(p.partition) ?? 0), 0);
  };
  const outboxRows = async (): Promise<number> => Number((await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM outbox")).rows[0]!.n);

  const client = createClient(
    EngagementService,
    createGrpcTransport({
      baseUrl: `http://${mesh.addresses.engagement}`,
      interceptors: [(next) => async (req) => (Object.entries(OWN_MESH_AUTH_HEADERS).forEach(([k, v]) => req.header.set(k, v)), next(req))],
    }),
  );
  const runId = Date.now().toString(36);
  const makeBatch = (n: number): PlannedEvent[] => planEvents(`tp-${runId}-${n}`, batchSize, catalog.users, products);

  // Warm-up: one batch through the whole path, so connections and the consumer group are ready.
  const warm = await client.recordEvents({ events: makeBatch(-1).map((e) => create(RecordEventRequestSchema, e)) }, { timeoutMs: 30_000 });
  let accepted = warm.acceptedCount;
  while ((await applied()) < accepted) await new Promise((r) => setTimeout(r, 100));
  const base = await applied();

  const cpu = new CpuMeter([
    { name: "engagement (RecordEvents + outbox relay)", pid: mesh.processes.get("engagement")!.pid },
    { name: "trending consumer", pid: mesh.processes.get("trending-consumer")!.pid },
    { name: "PostgreSQL (all backends)", pid: mesh.infra.postgres.pid, withChildren: true },
    { name: "Kafka broker", pid: mesh.infra.kafka.pid },
    { name: "Redis", pid: mesh.infra.redis.pid },
    { name: "product + user services (look-ups)", pid: mesh.processes.get("product")!.pid },
    { name: "this load generator", pid: process.pid },
  ]);
  cpu.start();
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let batchNo = 0;
  let rejected = 0;
  let failedCalls = 0;
  const perSecond: number[] = [];
  const ticker = setInterval(() => perSecond.push(accepted), 1000);
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        const events = makeBatch(batchNo++).map((e) => create(RecordEventRequestSchema, e));
        try {
          const res = await client.recordEvents({ events }, { timeoutMs: 30_000 });
          accepted += res.acceptedCount;
          rejected += res.rejectedCount;
        } catch (err) {
          failedCalls += 1;
          console.error(`RecordEvents failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  clearInterval(ticker);
  const loadMs = Date.now() - started;
  const appliedAtStop = (await applied()) - base;
  const [lagAtStop, outboxAtStop] = await Promise.all([kafkaLag(), outboxRows()]);
  const acceptedInRun = accepted - warm.acceptedCount;
  let appliedNow = appliedAtStop;
  const drainDeadline = Date.now() + 300_000;
  while (appliedNow < acceptedInRun && Date.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 200));
    appliedNow = (await applied()) - base;
  }
  const endToEndMs = Date.now() - started;
  const usage = cpu.stop();

  const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} events/s`;
  const steady = perSecond.slice(5).map((v, i) => v - (perSecond[i + 4] ?? v));
  console.log("");
  console.log(`accepted: ${acceptedInRun.toLocaleString("en-US")} events in ${(loadMs / 1000).toFixed(1)} s = ${rate(acceptedInRun, loadMs)}` +
    ` (per-second accepted after the first 5 s: min ${Math.min(...steady)}, max ${Math.max(...steady)}); rejected ${rejected}, failed calls ${failedCalls}`);
  console.log(`applied to Redis during the load: ${appliedAtStop.toLocaleString("en-US")} = ${rate(appliedAtStop, loadMs)}`);
  console.log(`backlog when the load stopped: ${outboxAtStop.toLocaleString("en-US")} outbox rows, Kafka consumer lag ${lagAtStop.toLocaleString("en-US")} messages`);
  console.log(
    `end to end: last event applied ${((endToEndMs - loadMs) / 1000).toFixed(1)} s after the load stopped; ` +
      `${rate(appliedNow, endToEndMs)} sustained from the first RecordEvents to the last event in Redis`,
  );
  console.log(`applied == accepted: ${appliedNow === acceptedInRun} (${appliedNow.toLocaleString("en-US")} / ${acceptedInRun.toLocaleString("en-US")})`);
  console.log("CPU during the run (1.00 = one core busy the whole time; the machine has the cores printed above):");
  for (const u of usage.sort((a, b) => b.cores - a.cores)) console.log(`  ${u.name.padEnd(42)} ${u.cores.toFixed(2)} cores (${u.cpuSeconds.toFixed(1)} s)`);
  process.exitCode = appliedNow === acceptedInRun && failedCalls === 0 ? 0 : 1;
} finally {
  await admin.disconnect().catch(() => undefined);
  await pool.end();
  redis.disconnect();
  await mesh.stop();
}
