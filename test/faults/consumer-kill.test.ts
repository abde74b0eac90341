import { describe, expect, it } from "vitest";
import { countDiff, engagementRows, redisCounts, waitForCounts } from "../support/counting.js";
import { expectedCounts, meshClients, planEvents, readCatalog, recordAll, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Fault 1: the trending consumer is killed with SIGKILL in the middle of a stream of events and
// started again. Writes never depend on it, so every RecordEvent succeeds; the events it had applied
// to Redis without committing their offsets are delivered again to the restarted consumer and
// skipped by the per-event dedup, so each is counted exactly once.

describe("fault: the trending consumer is killed (SIGKILL) mid-stream and restarted", () => {
  const ports = FAULT_MESH_PORTS.consumerKill;
  const suite = usePrivateMesh({ name: "faults-consumer-kill", ports: ports.infra, servicePorts: ports.services });

  it("accepts every event and counts each exactly once", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const events = planEvents("kill", 1_500, catalog.users.slice(0, 10), catalog.products.slice(0, 20));
    const expected = expectedCounts(events);

    let restarted: Promise<unknown> | undefined;
    let killedAt = 0;
    const outcomes = await recordAll(engagement, events, {
      concurrency: 8,
      ratePerSecond: 150,
      onOutcome: (_o, done) => {
        if (done !== 500) return;
        const consumer = suite.mesh.processes.get("trending-consumer")!;
        process.kill(consumer.pid, "SIGKILL");
        killedAt = Date.now();
        restarted = consumer.exited.then(() => new Promise((r) => setTimeout(r, 1_000))).then(() => suite.mesh.restart("trending-consumer"));
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    await restarted;
    const summary = summarize(outcomes);
    console.info(`consumer kill: ${JSON.stringify(summary.byCode)}, slowest call ${summary.maxMs} ms`);
    expect(summary.byCode).toEqual({ OK: events.length });
    expect(outcomes.filter((o) => o.duplicate)).toHaveLength(0);

    const waitedMs = await waitForCounts(() => redisCounts(suite.mesh.infra.redisUrl, [...expected.keys()]), expected, 60_000);
    console.info(`consumer kill: counts exact ${waitedMs} ms after the last event, ${Date.now() - killedAt} ms after the kill`);
    // Nothing is counted twice later either (late redeliveries are deduplicated).
    await new Promise((r) => setTimeout(r, 2_000));
    expect(countDiff(expected, await redisCounts(suite.mesh.infra.redisUrl, [...expected.keys()]))).toEqual([]);

    const db = await engagementRows(suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement), "kill");
    expect(db.events).toHaveLength(events.length);
    expect(db.outbox).toBe(0);
  }, 180_000);
});
