import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { DEFAULT_EVENT_WEIGHTS } from "../../services/recommendation/src/storage/trending/event-weights.js";
import { RedisTrendingStore } from "../../services/recommendation/src/storage/trending/redis-trending-store.js";
import { countDiff, redisCounts, waitForCounts } from "../support/counting.js";
import { codeName, expectedCounts, meshClients, planEvents, readCatalog, recordAll, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Fault 3: Redis restarts empty (it persists nothing) in the middle of a stream of events. Writes
// never depend on Redis, so every RecordEvent succeeds. Recommendations keep being served while Redis
// is down, without the trending signal and saying so in unavailable_signals. When Redis is back, the
// trending consumer notices that its coverage markers are gone and replays the retained Kafka log, so
// the exact counts (and the decayed trending scores) of every event, including those applied before
// the restart, are rebuilt, each event once.

interface Probe {
  readonly at: number;
  readonly rpc: "recommendations" | "similar" | "trending";
  readonly code: string;
  readonly unavailableSignals: readonly string[];
}

describe("fault: Redis is restarted empty", () => {
  const ports = FAULT_MESH_PORTS.redisRestart;
  // planEvents gives each product all its events from one user (75 here), which the per-account
  // cap would hold to 3 in trending; this suite checks that every event's weight is rebuilt, so it
  // lifts the cap (the cap itself: redis-trending-store.int.test.ts, test/security).
  const suite = usePrivateMesh({
    name: "faults-redis-restart",
    ports: ports.infra,
    servicePorts: ports.services,
    serviceEnv: { TRENDING_USER_CAP: "1000000" },
  });

  it("keeps serving recommendations without trending while Redis is down, then rebuilds every count from the Kafka log", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement, recommendation } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const users = catalog.users.slice(0, 10);
    const products = catalog.products.slice(0, 20);
    const before = planEvents("redis-a", 600, users, products);
    const during = planEvents("redis-b", 900, users, products);
    const all = [...before, ...during];

    // Phase 1: events applied before the fault.
    expect(summarize(await recordAll(engagement, before, { concurrency: 8 })).byCode).toEqual({ OK: before.length });
    await waitForCounts(() => redisCounts(suite.mesh.infra.redisUrl, products), expectedCounts(before), 30_000);

    // Phase 2: Redis stops after 300 more events and comes back empty 4 s later; meanwhile the
    // recommendation RPCs are probed every 200 ms with a 3 s deadline.
    const probes: Probe[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const at = Date.now();
        const calls = [
          ["recommendations", () => recommendation.getRecommendations({ userId: users[0]!, limit: 10 }, { timeoutMs: 3_000 })],
          ["similar", () => recommendation.getSimilarProducts({ productId: products[0]!, limit: 10 }, { timeoutMs: 3_000 })],
          ["trending", () => recommendation.getTrending({ limit: 10 }, { timeoutMs: 3_000 })],
        ] as const;
        for (const [rpc, call] of calls) {
          try {
            const res = (await call()) as { unavailableSignals?: string[] };
            probes.push({ at, rpc, code: "OK", unavailableSignals: res.unavailableSignals ?? [] });
          } catch (err) {
            probes.push({ at, rpc, code: codeName(ConnectError.from(err).code), unavailableSignals: [] });
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    let stoppedAt = 0;
    let restartedAt = 0;
    let restart: Promise<void> | undefined;
    const outcomes = await recordAll(engagement, during, {
      concurrency: 8,
      ratePerSecond: 150,
      onOutcome: (_o, done) => {
        if (done !== 300) return;
        restart = (async () => {
          await suite.mesh.infra.stopServer("redis");
          stoppedAt = Date.now();
          await new Promise((r) => setTimeout(r, 4_000));
          await suite.mesh.infra.startServer("redis");
          restartedAt = Date.now();
        })();
      },
    });
    await restart;
    expect(summarize(outcomes).byCode).toEqual({ OK: during.length });

    const expected = expectedCounts(all);
    const rebuiltMs = await waitForCounts(() => redisCounts(suite.mesh.infra.redisUrl, products), expected, 60_000);
    console.info(`redis restart: every count rebuilt ${rebuiltMs} ms after the last event, ${Date.now() - restartedAt} ms after Redis came back`);
    await new Promise((r) => setTimeout(r, 1_500)); // let the probes see the recovered signal
    probing = false;
    await probeLoop;
    expect(countDiff(expected, await redisCounts(suite.mesh.infra.redisUrl, products))).toEqual([]);

    // The decayed trending scores are rebuilt too: every event is less than a minute old, so each
    // product scores Σ weight(type) over its events within 2% (τ = 1 h).
    const redis = new Redis(suite.mesh.infra.redisUrl);
    try {
      const scores = await new RedisTrendingStore(redis).scores(products);
      for (const [productId, counts] of expected) {
        const want = (Object.keys(counts) as (keyof typeof counts)[]).reduce((sum, f) => sum + counts[f] * DEFAULT_EVENT_WEIGHTS[f], 0);
        expect(scores.get(productId)! / want).toBeGreaterThan(0.98);
        expect(scores.get(productId)! / want).toBeLessThanOrEqual(1 + 1e-9);
      }
    } finally {
      redis.disconnect();
    }

    // Probes: recommendations never failed; while Redis was down they said "trending" was missing;
    // GetTrending answered OK or a clean UNAVAILABLE; after recovery the signal is back.
    const byRpc = (rpc: Probe["rpc"]): Probe[] => probes.filter((p) => p.rpc === rpc);
    for (const rpc of ["recommendations", "similar"] as const) {
      expect(new Set(byRpc(rpc).map((p) => p.code))).toEqual(new Set(["OK"]));
      const down = byRpc(rpc).filter((p) => p.at > stoppedAt + 300 && p.at < restartedAt - 300);
      expect(down.length).toBeGreaterThan(0);
      for (const p of down) expect(p.unavailableSignals).toContain("trending");
      expect(byRpc(rpc).at(-1)!.unavailableSignals).toEqual([]);
    }
    const trendingCodes = new Set(byRpc("trending").map((p) => p.code));
    expect([...trendingCodes].every((c) => c === "OK" || c === codeName(Code.Unavailable))).toBe(true);
    expect(trendingCodes.has(codeName(Code.Unavailable))).toBe(true);
    console.info(
      `redis restart: ${probes.length} probes, ${probes.filter((p) => p.unavailableSignals.includes("trending")).length} without trending, ` +
        `GetTrending ${JSON.stringify(summarize(byRpc("trending").map((p) => ({ eventId: "", code: p.code, startedAt: 0, ms: 0 }))).byCode)}`,
    );
  }, 180_000);
});
