/**
 * Freshness benchmark: the time from RecordEvent returning to the event being visible in
 * GetProductStats (its exact count) and in GetTrending (its product's score), at a steady
 * 1,000 events/s (goal p99 ≤ 250 ms); and, at the same time, from a user's RATE, LIKE or DISLIKE
 * returning to that product being gone from the same user's GetRecommendations (goal p99 ≤ 100 ms).
 *
 * It starts its own mesh (PostgreSQL :25470, Redis :26410, Kafka :29140, Envoy :28110, services
 * 21351-21354, data in .run/bench-freshness; 300-movie MovieLens subset) and calls the services over
 * gRPC directly with the service token (not through Envoy, whose per-address rate limit of 1,000
 * requests/s would throttle a single load generator).
 *
 * Method: background RecordEvent calls at a fixed schedule over every product but two "probe"
 * products, which are first made the top trending ones. Two probe loops each record a CLICK on their
 * probe product, and from the moment RecordEvent returns poll GetProductStats and GetTrending (top 20)
 * every 5 ms until the click count has grown by one and the trending score by ≥ 0.5; then pause
 * 20-80 ms and repeat. The first 5 s are a warm-up and not counted. Percentiles are nearest-rank;
 * the polling interval bounds their resolution (5 ms).
 *
 * Personal freshness: once the per-user state is built (`recsys:user:ready` in Redis), a third probe
 * loop takes the users in turn, reads their GetRecommendations (top 50), records a RATE (4.5 stars),
 * LIKE or DISLIKE (in turn) of the first item, and from the moment RecordEvent returns polls
 * GetRecommendations every 5 ms until that item is gone. The path measured is the production one:
 * engagement's outbox, the relay, Kafka, the trending consumer's per-user state in Redis, and the
 * recommendation service reading the user's state version per call. The exclusion and the content
 * profile come from the same state version (one load of the positives and the seen set), so an item
 * gone from the list is also a positive that feeds the content signal (asserted in
 * test/e2e/personal-state.test.ts).
 *
 * The mesh's 300-movie subset has only 30 users, and one account adds at most `TRENDING_USER_CAP`
 * (3) weighted events per product and hour to its trending score, so the bench lifts the cap
 * (`TRENDING_USER_CAP` = 1,000,000) to let 30 accounts make the probe products trend; the cap costs
 * the same Lua script either way.
 *
 * Catalog freshness (after the event load has stopped): `catalog products` times (default 40) a
 * product is created with a string SKU copying a movie's text, and the time from CreateProduct
 * returning to the product being in GetProduct, search, GetSimilarProducts of that movie and the
 * content recommendations of a user who liked it is measured; then 5 clicks and the time to
 * GetTrending of its own category; then DeleteProduct and the time to its being gone from all five
 * (goal p99 ≤ 1 s each; bench/support/catalog-freshness.ts).
 *
 * Usage: `npm run bench:freshness -- [seconds=60] [events/s=1000] [events per background call=1] [catalog products=40]`: with
 * 1 the background load is single RecordEvent calls (as many users clicking); with more, RecordEvents
 * batches of that size (as a bulk producer), for when a loaded machine cannot make 1,000 calls/s.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EngagementService, RecordEventRequestSchema } from "../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventType } from "../gen/recsys/engagement/v1/event_pb.js";
import { RecommendationService } from "../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { ProductService } from "../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../gen/recsys/user/v1/user_service_pb.js";
import { planEvents, readCatalog } from "../scripts/mesh-support/event-load.js";
import { CATALOG_READS, measureCatalogFreshness } from "./support/catalog-freshness.js";
import { BENCH_MESH_PORTS, OWN_MESH_AUTH_HEADERS, startOwnMesh } from "../scripts/mesh-support/private-mesh.js";
import { percentiles, printMachine } from "./support/machine.js";
import { CpuMeter } from "./support/process-cpu.js";
import { waitForUserState } from "./support/user-state.js";

const seconds = Number(process.argv[2] ?? 60);
const ratePerSecond = Number(process.argv[3] ?? 1000);
const perCall = Math.max(1, Number(process.argv[4] ?? 1));
const catalogCycles = Math.max(1, Number(process.argv[5] ?? 40));
const WARM_UP_MS = 5_000;
const POLL_MS = 5;

printMachine();
console.log(
  `freshness: ${seconds} s at ${ratePerSecond} events/s (${perCall === 1 ? "RecordEvent calls" : `RecordEvents calls of ${perCall}`}), ` +
    `2 probe loops polling every ${POLL_MS} ms`,
);
const ports = BENCH_MESH_PORTS.freshness;
const mesh = await startOwnMesh({
  name: "bench-freshness",
  ports: ports.infra,
  servicePorts: ports.services,
  serviceEnv: { LOG_LEVEL: "warn", TRENDING_USER_CAP: "1000000" },
  ...(process.env.BENCH_CPU_PROF_DIR ? { serviceNodeArgs: ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] } : {}),
});
try {
  const transport = (address: string) =>
    createGrpcTransport({
      baseUrl: `http://${address}`,
      interceptors: [(next) => async (req) => (Object.entries(OWN_MESH_AUTH_HEADERS).forEach(([k, v]) => req.header.set(k, v)), next(req))],
    });
  const engagement = createClient(EngagementService, transport(mesh.addresses.engagement));
  const recommendation = createClient(RecommendationService, transport(mesh.addresses.recommendation));
  const catalog = readCatalog(mesh.imported.dir);
  const probes = catalog.products.slice(-2);
  const background = catalog.products.slice(0, -2);
  const runId = Date.now().toString(36);

  // Make the probe products the top trending ones (200 likes each = score 400), so GetTrending lists them.
  for (const productId of probes) {
    const likes = Array.from({ length: 200 }, (_, i) =>
      create(RecordEventRequestSchema, { eventId: `fr-${runId}-prime-${productId}-${i}`, userId: catalog.users[i % catalog.users.length]!, productId, type: EventType.LIKE }),
    );
    await engagement.recordEvents({ events: likes }, { timeoutMs: 30_000 });
  }

  const clicksOf = async (productId: string): Promise<number> => {
    const res = await recommendation.getProductStats({ productId }, { timeoutMs: 2_000 });
    return Number(res.allTime.find((c) => c.type === EventType.CLICK)?.count ?? 0);
  };
  const trendingScore = async (productId: string): Promise<number> => {
    const res = await recommendation.getTrending({ limit: 20 }, { timeoutMs: 2_000 });
    return res.items.find((i) => i.productId === productId)?.score ?? -1;
  };
  for (const productId of probes) {
    const deadline = Date.now() + 60_000;
    while ((await trendingScore(productId)) < 399) {
      if (Date.now() > deadline) {
        const top = await recommendation.getTrending({ limit: 5 }, { timeoutMs: 2_000 });
        const stats = await recommendation.getProductStats({ productId }, { timeoutMs: 2_000 });
        throw new Error(
          `probe product ${productId} is not trending after priming: score ${await trendingScore(productId)}, ` +
            `all-time ${JSON.stringify(stats.allTime.map((c) => [EventType[c.type], Number(c.count)]))}, ` +
            `top ${JSON.stringify(top.items.map((i) => [i.productId, i.score]))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const readyAfter = await waitForUserState(mesh.infra.redisUrl);
  console.log(`per-user state ready ${(readyAfter / 1000).toFixed(1)} s after priming`);

  const started = Date.now();
  const end = started + seconds * 1000;
  let stopping = false;
  const outcomes = { ok: 0, failed: new Map<string, number>() };

  // Background load: RecordEvent calls on a fixed schedule (ratePerSecond minus the probes' share).
  const backgroundEvents = planEvents(`fr-${runId}-bg`, Math.ceil(ratePerSecond * seconds * 1.1), catalog.users, background);
  let next = 0;
  const sendBackground = async (): Promise<void> => {
    while (!stopping) {
      const i = next++;
      const due = started + (i * perCall * 1000) / ratePerSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopping || Date.now() > end) return;
      const events = backgroundEvents.slice(i * perCall, (i + 1) * perCall).map((e) => create(RecordEventRequestSchema, e));
      try {
        if (perCall === 1) await engagement.recordEvent(events[0]!, { timeoutMs: 5_000 });
        else await engagement.recordEvents({ events }, { timeoutMs: 5_000 });
        outcomes.ok += events.length;
      } catch (err) {
        const code = Code[ConnectError.from(err).code] ?? "unknown";
        outcomes.failed.set(code, (outcomes.failed.get(code) ?? 0) + events.length);
      }
    }
  };

  // Probe loops: one per probe product.
  const statsMs: number[] = [];
  const trendingMs: number[] = [];
  let timeouts = 0;
  const probe = async (productId: string, loop: number): Promise<void> => {
    let n = 0;
    while (Date.now() < end) {
      const [clicks, score] = await Promise.all([clicksOf(productId), trendingScore(productId)]);
      await engagement.recordEvent(
        create(RecordEventRequestSchema, { eventId: `fr-${runId}-probe${loop}-${n++}`, userId: catalog.users[n % catalog.users.length]!, productId, type: EventType.CLICK }),
        { timeoutMs: 5_000 },
      );
      const returnedAt = performance.now();
      let seenStats: number | undefined;
      let seenTrending: number | undefined;
      while (seenStats === undefined || seenTrending === undefined) {
        const [c, s] = await Promise.all([
          seenStats === undefined ? clicksOf(productId) : Promise.resolve(clicks + 1),
          seenTrending === undefined ? trendingScore(productId) : Promise.resolve(score + 1),
        ]);
        const now = performance.now();
        if (seenStats === undefined && c >= clicks + 1) seenStats = now - returnedAt;
        if (seenTrending === undefined && s >= score + 0.5) seenTrending = now - returnedAt;
        if (now - returnedAt > 10_000) break;
        if (seenStats === undefined || seenTrending === undefined) await new Promise((r) => setTimeout(r, POLL_MS));
      }
      if (Date.now() - started > WARM_UP_MS) {
        if (seenStats === undefined || seenTrending === undefined) timeouts += 1;
        else {
          statsMs.push(seenStats);
          trendingMs.push(seenTrending);
        }
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
    }
  };

  // Personal probe: a user's opinion of their top recommendation, until it leaves their list.
  const personalMs: number[] = [];
  let personalTimeouts = 0;
  const OPINIONS = [
    { type: EventType.RATE, value: 4.5 },
    { type: EventType.LIKE, value: 0 },
    { type: EventType.DISLIKE, value: 0 },
  ] as const;
  const recommendedIds = async (userId: string): Promise<string[]> => {
    const res = await recommendation.getRecommendations({ userId, limit: 50 }, { timeoutMs: 2_000 });
    return res.items.map((i) => i.productId);
  };
  const personalProbe = async (): Promise<void> => {
    let n = 0;
    while (Date.now() < end) {
      const userId = catalog.users[n % catalog.users.length]!;
      const opinion = OPINIONS[n % OPINIONS.length]!;
      n += 1;
      const target = (await recommendedIds(userId))[0];
      if (target === undefined) continue;
      await engagement.recordEvent(
        create(RecordEventRequestSchema, { eventId: `fr-${runId}-personal-${n}`, userId, productId: target, type: opinion.type, value: opinion.value }),
        { timeoutMs: 5_000 },
      );
      const returnedAt = performance.now();
      let seen: number | undefined;
      while (seen === undefined && performance.now() - returnedAt <= 10_000) {
        if (!(await recommendedIds(userId)).includes(target)) seen = performance.now() - returnedAt;
        else await new Promise((r) => setTimeout(r, POLL_MS));
      }
      if (Date.now() - started > WARM_UP_MS) {
        if (seen === undefined) personalTimeouts += 1;
        else personalMs.push(seen);
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
    }
  };

  const pid = (name: string): number => mesh.processes.get(name)!.pid;
  const meter = new CpuMeter([
    { name: "engagement+relay", pid: pid("engagement") },
    { name: "trending-consumer", pid: pid("trending-consumer") },
    { name: "user", pid: pid("user") },
    { name: "recommendation", pid: pid("recommendation") },
    { name: "kafka", pid: mesh.infra.kafka.pid },
    { name: "postgres", pid: mesh.infra.postgres.pid, withChildren: true },
    { name: "redis", pid: mesh.infra.redis.pid },
    { name: "this load generator", pid: process.pid },
  ]);
  meter.start();
  const senders = Array.from({ length: 64 }, sendBackground);
  await Promise.all([...probes.map((p, i) => probe(p, i)), personalProbe()]);
  stopping = true;
  await Promise.all(senders);
  const elapsed = (Date.now() - started) / 1000;
  const cpu = meter.stop();

  const fmt = (xs: number[]): string => {
    const [p50, p90, p99] = percentiles(xs, [50, 90, 99]);
    return `p50 ${p50!.toFixed(0)} ms, p90 ${p90!.toFixed(0)} ms, p99 ${p99!.toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
  };
  console.log("");
  console.log(
    `background load: ${outcomes.ok.toLocaleString("en-US")} events accepted in ${elapsed.toFixed(1)} s = ${Math.round(outcomes.ok / elapsed)} events/s` +
      (outcomes.failed.size > 0 ? `; failed ${JSON.stringify(Object.fromEntries(outcomes.failed))}` : ""),
  );
  console.log(`cores: ${cpu.map((c) => `${c.name} ${c.cores.toFixed(2)}`).join(", ")}`);
  console.log(`samples: ${statsMs.length} (after a ${WARM_UP_MS / 1000} s warm-up), ${timeouts} not visible within 10 s`);
  console.log(`visible in GetProductStats: ${fmt(statsMs)}`);
  console.log(`visible in GetTrending:     ${fmt(trendingMs)}`);
  const [p99] = percentiles(trendingMs.map((t, i) => Math.max(t, statsMs[i]!)), [99]);
  console.log(`goal p99 ≤ 250 ms (both visible): ${p99! <= 250 ? "met" : "missed"} (${p99!.toFixed(0)} ms)`);
  console.log("");
  console.log(`personal samples: ${personalMs.length} (RATE 4.5 / LIKE / DISLIKE of the user's top item), ${personalTimeouts} not excluded within 10 s`);
  console.log(`gone from the user's GetRecommendations: ${fmt(personalMs)}`);
  const [personalP99] = percentiles(personalMs, [99]);
  console.log(`goal p99 ≤ 100 ms: ${personalP99! <= 100 ? "met" : "missed"} (${personalP99!.toFixed(0)} ms)`);

  // Catalog section (issue 10): product writes reaching every read, the background load stopped.
  console.log("");
  console.log(`catalog: ${catalogCycles} products created with a string SKU, clicked 5 times, then archived, one after another; polling every ${POLL_MS} ms`);
  const catalogFresh = await measureCatalogFreshness(
    {
      product: createClient(ProductService, transport(mesh.addresses.product)),
      user: createClient(UserService, transport(mesh.addresses.user)),
      engagement,
      recommendation,
    },
    background.slice(0, 5),
    { cycles: catalogCycles, pollMs: POLL_MS, timeoutMs: 10_000, runId },
  );
  const phases = [
    ["created, visible in", catalogFresh.created],
    ["archived, gone from", catalogFresh.archived],
  ] as const;
  let worst = 0;
  for (const [phase, reads] of phases) {
    for (const read of CATALOG_READS) {
      const xs = reads[read];
      if (xs.length === 0) continue;
      console.log(`${phase} ${read.padEnd(12)} ${fmt(xs)}${read === "trending" && phase.startsWith("created") ? " (from the clicks returning)" : ""}`);
      worst = Math.max(worst, percentiles(xs, [99])[0]!);
    }
  }
  const catalogTimeouts = Object.entries(catalogFresh.timeouts);
  console.log(`not reached within 10 s: ${catalogTimeouts.length === 0 ? "none" : JSON.stringify(Object.fromEntries(catalogTimeouts))}`);
  console.log(`goal p99 ≤ 1000 ms (every read, both phases): ${worst <= 1000 && catalogTimeouts.length === 0 ? "met" : "missed"} (worst p99 ${worst.toFixed(0)} ms)`);
} finally {
  await mesh.stop();
}

