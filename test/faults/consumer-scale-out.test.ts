import { AssignerProtocol, Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { expectedCounts, meshClients, planEvents, readCatalog, recordAll, summarize } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { countDiff, engagementRows, serviceCounts, waitForCounts } from "../support/counting.js";
import { eventually } from "../support/eventually.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Fault 7, scale-out: the engagement topic has 3 partitions and three trending consumers share the
// consumer group `recsys-trending`, one partition each. One of them is killed (SIGKILL, not
// restarted) under load: after the session timeout (10 s) the group rebalances its partition to the
// two survivors, which resume from its last committed offset. Every event is accepted, and every
// event is counted exactly once — the redelivered ones (applied but not committed by the killed
// member) are skipped by the per-partition offset watermark.

const GROUP = "recsys-trending";
const TOPIC = "engagement-events";

/** Partitions of TOPIC owned by each member of the group, by the member's client host and id. */
async function assignments(kafka: Kafka): Promise<Map<string, number[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    const owned = new Map<string, number[]>();
    for (const member of groups[0]?.members ?? []) {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      owned.set(member.memberId, [...(assignment?.assignment[TOPIC] ?? [])].sort((a, b) => a - b));
    }
    return owned;
  } finally {
    await admin.disconnect();
  }
}

/** `recsys_trending_events_applied_total` of one consumer process. */
async function applied(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith("recsys_trending_events_applied_total "));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

describe("fault: one of three trending consumers in one group is killed under load", () => {
  const ports = FAULT_MESH_PORTS.consumerScaleOut;
  const suite = usePrivateMesh({ name: "faults-consumer-scale-out", ports: ports.infra, servicePorts: ports.services, extraConsumers: 2 });

  it("splits the partitions over the group, moves the dead member's partition to the others, and counts each event once", async () => {
    const mesh = suite.mesh;
    const kafka = new Kafka({ clientId: "scale-out-test", brokers: [...mesh.infra.kafkaBrokers], logLevel: logLevel.NOTHING });
    const consumers = ["trending-consumer", "trending-consumer-2", "trending-consumer-3"];
    expect(consumers.every((name) => mesh.processes.has(name))).toBe(true);
    const before = await eventually(
      "three members with one partition each",
      async () => {
        const owned = await assignments(kafka);
        const all = [...owned.values()].flat().sort();
        return owned.size === 3 && [...owned.values()].every((p) => p.length === 1) && all.join() === "0,1,2" ? owned : undefined;
      },
      60_000,
      250,
    );

    const catalog = readCatalog(mesh.imported.dir);
    const { engagement, recommendation } = meshClients(mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    // 30 users, so every partition (keyed by user id) gets events.
    const events = planEvents("scale", 1_500, catalog.users.slice(0, 30), catalog.products.slice(0, 20));
    const expected = expectedCounts(events);
    let killedAt = 0;
    const victim = mesh.processes.get("trending-consumer-2")!;
    let appliedByVictim = 0;
    let killing: Promise<void> | undefined;
    const outcomes = await recordAll(engagement, events, {
      concurrency: 8,
      ratePerSecond: 150,
      onOutcome: (_o, done) => {
        if (done !== 500) return;
        killing = (async () => {
          appliedByVictim = await applied(mesh.metricsUrls["trending-consumer-2"]!);
          process.kill(victim.pid, "SIGKILL");
          killedAt = Date.now();
        })();
      },
    });
    await killing;
    expect(killedAt).toBeGreaterThan(0);
    expect(summarize(outcomes).byCode).toEqual({ OK: events.length });

    const waitedMs = await waitForCounts(() => serviceCounts(recommendation, [...expected.keys()]), expected, 90_000);
    await new Promise((r) => setTimeout(r, 2_000)); // late redeliveries are deduplicated too
    expect(countDiff(expected, await serviceCounts(recommendation, [...expected.keys()]))).toEqual([]);
    const after = await eventually(
      "two members owning all three partitions",
      async () => {
        const owned = await assignments(kafka);
        return owned.size === 2 && [...owned.values()].flat().sort().join() === "0,1,2" ? owned : undefined;
      },
      30_000,
      250,
    );
    const survivors = await Promise.all(["trending-consumer", "trending-consumer-3"].map((name) => applied(mesh.metricsUrls[name]!)));
    console.info(
      `scale-out: before the kill ${JSON.stringify([...before.values()])}, after ${JSON.stringify([...after.values()])}; ` +
        `events applied: killed member ${appliedByVictim} (at the kill), survivors ${survivors.join(", ")}; ` +
        `counts exact ${waitedMs} ms after the last event, ${Date.now() - killedAt} ms after the kill`,
    );
    // Each member did part of the work before the kill.
    expect(appliedByVictim).toBeGreaterThan(0);
    for (const n of survivors) expect(n).toBeGreaterThan(0);
    const db = await engagementRows(mesh.infra.pgUrlFor(mesh.databases.engagement), "scale");
    expect(db.events).toHaveLength(events.length);
    expect(db.outbox).toBe(0);
  }, 240_000);
});
