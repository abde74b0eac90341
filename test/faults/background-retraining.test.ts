import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../gen/recsys/engagement/v1/event_pb.js";
import { meshClients, readCatalog } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS, OWN_MESH_SERVICE_TOKEN } from "../../scripts/mesh-support/private-mesh.js";
import { RETRAINER } from "../../scripts/deployment-env.js";
import { REPO_ROOT } from "../../scripts/infra/paths.js";
import { startEntry, type EntryProcess } from "../support/entry-process.js";
import { eventually } from "../support/eventually.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";
import { scrapeByLabel } from "../support/scrape.js";

// Background retraining against real servers: a mesh without a NeuMF model serves content,
// popularity and trending; the retrainer process (offline/cli/retrain.ts, a tiny configuration:
// one epoch, no validation) trains the first model from EngagementService.ScanEvents into the
// MODEL_DIR the running recommendation service watches, which swaps it in; once enough new events
// were appended to engagement-events it trains again, and the service swaps the next version in. A user the model has never seen is served by content and trending throughout.


describe("background retraining: the retrainer's artifacts are swapped into a running recommendation service", () => {
  const ports = FAULT_MESH_PORTS.retraining;
  // The mesh's reset starts the servers afresh but keeps <dataDir>/models; this test starts without a model.
  beforeAll(() => rmSync(path.join(REPO_ROOT, ".run", "faults-retraining", "models"), { recursive: true, force: true }));
  // A short artifact poll, so each swap follows its training within a second. The collaborative
  // signal is NeuMF's alone here (RECOMMEND_NEUMF_SHARE=1: no item-KNN half), so it says which model is served.
  const suite = usePrivateMesh({
    name: "faults-retraining",
    ports: ports.infra,
    servicePorts: ports.services,
    serviceEnv: { NCF_POLL_INTERVAL_MS: "300", RECOMMEND_NEUMF_SHARE: "1" },
  });
  let retrainer: EntryProcess | undefined;
  afterAll(async () => {
    await retrainer?.stop();
  });

  const served = async (): Promise<string | undefined> => {
    const versions = await scrapeByLabel(suite.mesh.metricsUrls.recommendation!, "recsys_ncf_model_info", "version");
    return Object.keys(versions)[0];
  };
  const recommendations = async (userId: string) => {
    const { recommendation } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    return recommendation.getRecommendations({ userId, limit: 20 });
  };
  // The log files outlive a mesh (appended to by every run): only what this run wrote counts.
  const logFile = (): string => path.join(suite.mesh.infra.options.dataDir, "logs", "recommendation.log");
  let logFrom = 0;
  const swapLines = (): { version: string; ms: number }[] =>
    readFileSync(logFile())
      .subarray(logFrom)
      .toString("utf8")
      .split("\n")
      .filter((l) => l.includes("NeuMF swapped in"))
      .map((l) => JSON.parse(l) as { version: string; ms: number });

  it("serves without a model, swaps in the first trained one, and the next after RETRAIN_AFTER_EVENTS events", async () => {
    const { users, products } = readCatalog(suite.mesh.imported.dir);
    const known = users[0]!;
    logFrom = statSync(logFile()).size;
    // No model yet: personalised lists from content (and popularity, trending), no collaborative score.
    expect(await served()).toBeUndefined();
    const before = await recommendations(known);
    expect(before.items.length).toBeGreaterThan(0);
    expect(before.items.every((i) => i.signals?.collaborative === 0)).toBe(true);

    const metricsPort = ports.services.recommendation + 1600;
    retrainer = await startEntry(RETRAINER.entry, {
      LOG_LEVEL: "info",
      MODEL_DIR: path.join(suite.mesh.infra.options.dataDir, "models"),
      ENGAGEMENT_SERVICE_ADDR: suite.mesh.addresses.engagement,
      SERVICE_TOKEN: OWN_MESH_SERVICE_TOKEN,
      KAFKA_BROKERS: suite.mesh.infra.kafkaBrokers.join(","),
      METRICS_PORT: String(metricsPort),
      HEALTH_PORT: String(ports.services.recommendation + 2100),
      RETRAIN_TRAIN_ARGS: "--epochs 1 --validation-users 0",
      RETRAIN_INTERVAL_MS: "0",
      RETRAIN_AFTER_EVENTS: "30",
      RETRAIN_CHECK_MS: "200",
    });
    const first = await eventually("the first model served", served, 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}; retrainer output:\n${retrainer!.output().slice(-4_000)}`);
    });
    expect(swapLines().map((l) => l.version)).toEqual([first]);
    expect(swapLines()[0]!.ms).toBeGreaterThanOrEqual(0);
    const after = await recommendations(known);
    expect(after.items.some((i) => (i.signals?.collaborative ?? 0) > 0)).toBe(true);

    // A user registered after the training: unknown to the model, served by content and trending.
    const { user, engagement } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const name = `retrain-${randomUUID().slice(0, 8)}`;
    const created = await user.createUser({ username: name, email: `${name}@example.com`, password: "a long enough password 123" });
    const stranger = created.user!.userId;
    await engagement.recordEvent({ userId: stranger, productId: products[0]!, type: EventType.LIKE, eventId: `${name}-like` });
    const strangers = await eventually(
      "the new user's personalised list",
      async () => {
        const r = await recommendations(stranger);
        return r.strategy === "personalized" ? r : undefined;
      },
      10_000,
    );
    expect(strangers.items.length).toBeGreaterThan(0);
    expect(strangers.items.every((i) => i.signals?.collaborative === 0)).toBe(true);

    // 30 more accepted events (counted from engagement-events' high watermarks) start the next training.
    for (let i = 0; i < 30; i++) {
      await engagement.recordEvent({ userId: users[1 + (i % 5)]!, productId: products[i % products.length]!, type: EventType.CLICK, eventId: `${name}-click-${i}` });
    }
    const second = await eventually("the second model served", async () => {
      const v = await served();
      return v !== undefined && v !== first ? v : undefined;
    }, 120_000, 250);
    expect(second > first).toBe(true);
    expect(swapLines().map((l) => l.version)).toEqual([first, second]);
    const trainings = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    expect(trainings).toMatch(/^recsys_retrain_runs_total\{outcome="success"\} 2$/m);
    expect(trainings).not.toMatch(/^recsys_retrain_runs_total\{outcome="failure"\}/m);

    // SIGTERM: a clean stop.
    await retrainer.stop();
    expect(retrainer.output()).toContain('"msg":"stopped"');
  }, 300_000);
});
