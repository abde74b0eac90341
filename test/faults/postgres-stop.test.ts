import { describe, expect, it } from "vitest";
import { countDiff, engagementRows, kafkaEventIds, serviceCounts, waitForCounts } from "../support/counting.js";
import { expectedCounts, meshClients, planEvents, readCatalog, recordAll, retryUntilAccepted, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { sampleHealth, waitForHealth } from "../support/health-check.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

const ENGAGEMENT = "recsys.engagement.v1.EngagementService";
const RECOMMENDATION = "recsys.recommendation.v1.RecommendationService";

/** One reading of the gRPC health of engagement (readiness, liveness) and recommendation (readiness). */
// Fault 4: PostgreSQL stops (fast shutdown: sessions are ended) for 5 s in the middle of a stream of
// events. RecordEvent must answer a clean UNAVAILABLE, promptly, instead of hanging or INTERNAL; an
// event is written with its outbox row in one transaction, so nothing is half written: every event
// row is published, no outbox row lacks its event, and no acknowledged event is lost. The client
// then retries the failed events with the same event_ids, and every event is counted exactly once.
// Meanwhile the engagement service's gRPC readiness turns NOT_SERVING (its database is down) and back
// to SERVING, its liveness stays SERVING, and the recommendation service, which reads no database
// after start-up, stays ready throughout.

describe("fault: PostgreSQL stops", () => {
  const ports = FAULT_MESH_PORTS.postgresStop;
  // Probes every 250 ms (default 1 s), so that the 5 s outage is seen well within it.
  const suite = usePrivateMesh({ name: "faults-postgres-stop", ports: ports.infra, servicePorts: ports.services, serviceEnv: { HEALTH_CHECK_INTERVAL_MS: "250" } });

  it("answers UNAVAILABLE promptly while it is down, leaves nothing half-written, and counts each event once after retries", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement, recommendation } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const events = planEvents("pg", 1_500, catalog.users.slice(0, 10), catalog.products.slice(0, 20));
    const expected = expectedCounts(events);

    // Health read every 100 ms from before the outage until after it.
    const sampler = sampleHealth({
      engagement: [suite.mesh.addresses.engagement, ENGAGEMENT],
      engagementLiveness: [suite.mesh.addresses.engagement, "liveness"],
      recommendation: [suite.mesh.addresses.recommendation, RECOMMENDATION],
    });

    let outage: Promise<void> | undefined;
    let downFrom = 0;
    let downUntil = 0;
    const outcomes = await recordAll(engagement, events, {
      concurrency: 8,
      ratePerSecond: 100,
      onOutcome: (_o, done) => {
        if (done !== 300) return;
        outage = (async () => {
          downFrom = Date.now();
          await suite.mesh.infra.stopServer("postgres");
          await new Promise((r) => setTimeout(r, 5_000));
          await suite.mesh.infra.startServer("postgres");
          downUntil = Date.now();
        })();
      },
    });
    await outage;
    // Readiness is back once PostgreSQL is (the deadline is generous for a loaded machine).
    const readyAgainMs = await waitForHealth(suite.mesh.addresses.engagement, { [ENGAGEMENT]: "SERVING", "": "SERVING" }, 15_000);
    const readyAt = Date.now();
    const samples = await sampler.stop();
    const notServing = samples.filter((s) => s.engagement === "NOT_SERVING");
    console.info(
      `postgres stop: engagement NOT_SERVING from ${notServing[0] ? notServing[0].at - downFrom : "never"} ms after the stop, ` +
        `SERVING again ${readyAgainMs} ms after PostgreSQL was back; ${samples.length} health samples`,
    );
    expect(notServing.length).toBeGreaterThan(0);
    // Only from the stop until readiness was seen back.
    expect(notServing.every((s) => s.at >= downFrom && s.at <= readyAt)).toBe(true);
    expect(samples.filter((s) => s.at < downFrom).every((s) => s.engagement === "SERVING")).toBe(true);
    expect(samples.every((s) => s.engagementLiveness === "SERVING")).toBe(true);
    expect(samples.every((s) => s.recommendation === "SERVING")).toBe(true);
    const summary = summarize(outcomes);
    const failed = outcomes.filter((o) => o.code !== "OK");
    const failedMs = failed.map((o) => o.ms).sort((a, b) => a - b);
    console.info(
      `postgres stop: ${JSON.stringify(summary.byCode)}; UNAVAILABLE answered in median ${failedMs[Math.floor(failedMs.length / 2)]} ms, ` +
        `max ${failedMs.at(-1)} ms; slowest call ${summary.maxMs} ms`,
    );
    // Only successes and clean UNAVAILABLEs, and the outage was seen.
    expect(Object.keys(summary.byCode).sort()).toEqual(["OK", "UNAVAILABLE"]);
    expect(failed.every((o) => o.startedAt >= downFrom - 1_000 && o.startedAt <= downUntil + 1_000)).toBe(true);
    // Promptly: no failed call waited for its 5 s deadline; the pool gives up connecting after 2 s.
    expect(failedMs.at(-1)!).toBeLessThan(2_500);

    // Nothing half-written, no acknowledged event lost (read before any retry).
    const dbUrl = suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement);
    const before = await engagementRows(dbUrl, "pg");
    const stored = new Set(before.events.map((e) => e.eventId));
    for (const o of outcomes) if (o.code === "OK") expect(stored.has(o.eventId)).toBe(true);
    expect(before.orphanOutbox).toBe(0);
    const storedButFailed = failed.filter((o) => stored.has(o.eventId)).length;

    // The client retries the failed events with the same idempotency keys.
    const retries = await retryUntilAccepted(engagement, events, outcomes);
    expect(retries.filter((o) => o.duplicate).length).toBe(storedButFailed);
    console.info(`postgres stop: ${retries.length} events retried, ${storedButFailed} of them had been stored before their call failed`);

    const waitedMs = await waitForCounts(() => serviceCounts(recommendation, [...expected.keys()]), expected, 60_000);
    console.info(`postgres stop: counts exact ${waitedMs} ms after the retries; PostgreSQL was down ${downUntil - downFrom} ms`);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(countDiff(expected, await serviceCounts(recommendation, [...expected.keys()]))).toEqual([]);

    const after = await engagementRows(dbUrl, "pg");
    expect(after.events).toHaveLength(events.length);
    expect(after.outbox).toBe(0);
    expect(after.orphanOutbox).toBe(0);
    const published = await kafkaEventIds(suite.mesh.infra.kafkaBrokers, "engagement-events", "pg");
    expect(published.size).toBe(events.length);
  }, 240_000);
});
