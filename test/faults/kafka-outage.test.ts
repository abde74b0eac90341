import { describe, expect, it } from "vitest";
import { countDiff, engagementRows, kafkaEventIds, serviceCounts, waitForCounts } from "../support/counting.js";
import { expectedCounts, meshClients, planEvents, readCatalog, recordAll, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { sampleHealth, waitForHealth } from "../support/health-check.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

const ENGAGEMENT = "recsys.engagement.v1.EngagementService";

/** One reading of the trending consumer's readiness and liveness and the engagement service's readiness. */
// Fault 2: the Kafka broker stops for 10 s in the middle of a stream of events and starts again
// (same data directory). RecordEvent writes the event and its outbox row in one PostgreSQL
// transaction and never waits for Kafka, so every call succeeds; the outbox relay retries with
// backoff and publishes the backlog when the broker is back; the trending consumer reconnects; every
// event is then counted exactly once (the relay's at-least-once redeliveries are deduplicated).
// Meanwhile the trending consumer's gRPC readiness turns NOT_SERVING (Kafka is required to consume)
// and back to SERVING once it is in its group again, its liveness stays SERVING, and the engagement
// service stays ready throughout (Kafka is not required to accept events).

describe("fault: the Kafka broker stops for 10 s", () => {
  const ports = FAULT_MESH_PORTS.kafkaOutage;
  // Probes every 250 ms (default 1 s).
  const suite = usePrivateMesh({ name: "faults-kafka-outage", ports: ports.infra, servicePorts: ports.services, serviceEnv: { HEALTH_CHECK_INTERVAL_MS: "250" } });

  it("accepts every event during the outage, and the outbox catches up so each is counted exactly once", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement, recommendation } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const events = planEvents("kafka", 2_000, catalog.users.slice(0, 10), catalog.products.slice(0, 20));
    const expected = expectedCounts(events);

    // The consumer's health port is the recommendation port + 2000 (scripts/mesh.ts).
    const consumerHealth = `127.0.0.1:${ports.services.recommendation + 2000}`;
    const sampler = sampleHealth({
      consumer: [consumerHealth, ""],
      consumerLiveness: [consumerHealth, "liveness"],
      engagement: [suite.mesh.addresses.engagement, ENGAGEMENT],
    });

    let outage: Promise<void> | undefined;
    let downFrom = 0;
    let backAt = 0;
    const outcomes = await recordAll(engagement, events, {
      concurrency: 8,
      ratePerSecond: 100,
      onOutcome: (_o, done) => {
        if (done !== 300) return;
        outage = (async () => {
          downFrom = Date.now();
          await suite.mesh.infra.stopServer("kafka");
          await new Promise((r) => setTimeout(r, 10_000));
          await suite.mesh.infra.startServer("kafka");
          backAt = Date.now();
        })();
      },
    });
    await outage;
    // Ready again once it has rejoined its group (kafkajs may have to restart a crashed consumer).
    const readyAgainMs = await waitForHealth(consumerHealth, { "": "SERVING" }, 90_000);
    const readyAt = Date.now();
    const samples = await sampler.stop();
    const notServing = samples.filter((s) => s.consumer === "NOT_SERVING");
    console.info(
      `kafka outage: consumer NOT_SERVING from ${notServing[0] ? notServing[0].at - downFrom : "never"} ms after the stop, ` +
        `SERVING again ${readyAgainMs} ms after Kafka was back; ${samples.length} health samples`,
    );
    expect(notServing.length).toBeGreaterThan(0);
    expect(notServing.every((s) => s.at >= downFrom && s.at <= readyAt)).toBe(true);
    expect(samples.filter((s) => s.at < downFrom).every((s) => s.consumer === "SERVING")).toBe(true);
    expect(samples.every((s) => s.consumerLiveness === "SERVING")).toBe(true);
    expect(samples.every((s) => s.engagement === "SERVING")).toBe(true);
    const summary = summarize(outcomes);
    console.info(`kafka outage: ${JSON.stringify(summary.byCode)}, slowest call ${summary.maxMs} ms`);
    expect(summary.byCode).toEqual({ OK: events.length });

    const caughtUpMs = await waitForCounts(() => serviceCounts(recommendation, [...expected.keys()]), expected, 90_000);
    console.info(`kafka outage: counts exact ${caughtUpMs} ms after the last event, ${Date.now() - backAt} ms after Kafka came back`);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(countDiff(expected, await serviceCounts(recommendation, [...expected.keys()]))).toEqual([]);

    // The database holds each event once and the outbox is drained; Kafka holds each at least once.
    const db = await engagementRows(suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement), "kafka");
    expect(db.events).toHaveLength(events.length);
    expect(db.outbox).toBe(0);
    expect(db.orphanOutbox).toBe(0);
    const published = await kafkaEventIds(suite.mesh.infra.kafkaBrokers, "engagement-events", "kafka");
    expect(published.size).toBe(events.length);
    const redelivered = [...published.values()].filter((n) => n > 1).length;
    console.info(`kafka outage: ${redelivered} events published more than once (deduplicated by the consumer)`);
  }, 240_000);
});
