import { describe, expect, it } from "vitest";
import { countDiff, engagementRows, serviceCounts, waitForCounts } from "../support/counting.js";
import { expectedCounts, meshClients, planEvents, readCatalog, recordAll, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Fault 5: one of two engagement replicas gets SIGTERM under load (as from an orchestrator) and is
// started again 2 s after it exited. Its shutdown stops accepting calls, lets the calls in flight
// finish, then lets the outbox batch in progress finish (rows not yet published are published by the
// other replica's relay). Calls in flight when the signal arrives succeed; new calls go to the other
// replica: Envoy retries a request that could not reach a replica (connection or stream refused,
// never processed) on another one. Every event is then counted exactly once.

describe("fault: a service is stopped with SIGTERM under load", () => {
  const ports = FAULT_MESH_PORTS.serviceSigterm;
  const suite = usePrivateMesh({
      name: "faults-service-sigterm",
      ports: ports.infra,
      servicePorts: ports.services,
      extraReplicas: { engagement: [ports.services.engagement + 1] },
    });

  it("finishes the calls in flight, sends new ones to the other replica, and loses nothing", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement, recommendation } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const events = planEvents("term", 1_500, catalog.users.slice(0, 10), catalog.products.slice(0, 20));
    const expected = expectedCounts(events);

    let signalledAt = 0;
    let exitedAt = 0;
    let restarted: Promise<unknown> | undefined;
    const outcomes = await recordAll(engagement, events, {
      concurrency: 16,
      ratePerSecond: 200,
      onOutcome: (_o, done) => {
        if (done !== 400) return;
        const proc = suite.mesh.processes.get("engagement")!;
        signalledAt = Date.now();
        process.kill(proc.pid, "SIGTERM");
        restarted = proc.exited.then(async (info) => {
          exitedAt = Date.now();
          expect(info).toEqual({ code: 0, signal: null }); // a clean stop, within the deadline
          await new Promise((r) => setTimeout(r, 2_000));
          return suite.mesh.restart("engagement");
        });
      },
    });
    await restarted;
    const summary = summarize(outcomes);
    console.info(
      `sigterm: ${JSON.stringify(summary.byCode)}; exited ${exitedAt - signalledAt} ms after SIGTERM; slowest call ${summary.maxMs} ms`,
    );
    expect(summary.byCode).toEqual({ OK: events.length });
    // Calls in flight when the signal arrived (started before it, answered after it) all succeeded.
    const inFlight = outcomes.filter((o) => o.startedAt < signalledAt && o.startedAt + o.ms > signalledAt);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.filter((o) => o.code !== "OK")).toEqual([]);

    const dbUrl = suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement);
    const stored = new Set((await engagementRows(dbUrl, "term")).events.map((e) => e.eventId));
    for (const o of outcomes) if (o.code === "OK") expect(stored.has(o.eventId)).toBe(true);

    console.info(`sigterm: ${inFlight.length} calls were in flight at the signal`);
    // Both replicas serve again: a second round of the same events is all duplicates, nothing new.
    const again = await recordAll(engagement, events.slice(0, 200), { concurrency: 8 });
    expect(again.every((o) => o.code === "OK" && o.duplicate)).toBe(true);
    await waitForCounts(() => serviceCounts(recommendation, [...expected.keys()]), expected, 60_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(countDiff(expected, await serviceCounts(recommendation, [...expected.keys()]))).toEqual([]);
    const after = await engagementRows(dbUrl, "term");
    expect(after.events).toHaveLength(events.length);
    expect(after.outbox).toBe(0);
    expect(after.orphanOutbox).toBe(0);
  }, 240_000);
});
