import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEntry, type EntryProcess } from "../../../test/support/entry-process.js";
import { waitForHealth } from "../../../test/support/health-check.js";
import { createTestDatabase, testInfra, type TestDatabase } from "../../../test/support/infra.js";
import { scrapeByLabel } from "../../../test/support/scrape.js";
import { CuttableProxy, freePort } from "../../../test/support/tcp-proxy.js";

const SERVICE = "recsys.product.v1.ProductService";

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; process output:\n${output().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The ProductService process (its own main.ts) on a database reached through a TCP proxy that the
// test cuts: its gRPC readiness must follow PostgreSQL, its liveness must not.
describe("ProductService health follows its database (real process, real PostgreSQL)", () => {
  let db: TestDatabase;
  let proxy: CuttableProxy;
  let proc: EntryProcess;
  let address: string;
  let metricsUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase("health_product");
    const url = new URL(db.url);
    proxy = new CuttableProxy(url.hostname, Number(url.port || 5432));
    await proxy.up();
    url.host = `127.0.0.1:${proxy.port}`;
    const [port, metricsPort] = [await freePort(), await freePort()];
    address = `127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    proc = await startEntry("services/product/src/main.ts", {
      HOST: "127.0.0.1",
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: url.toString(),
      HEALTH_CHECK_INTERVAL_MS: "200",
      HEALTH_CHECK_TIMEOUT_MS: "500",
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(","),
      LOG_LEVEL: "warn",
    });
    await waitForHealth(address, { "": "SERVING", [SERVICE]: "SERVING", liveness: "SERVING" }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; process output:\n${proc.output().slice(-3_000)}`);
    });
  }, 90_000);

  afterAll(async () => {
    await proc?.stop();
    await proxy?.down().catch(() => undefined);
    await db?.drop();
  });

  it("is NOT_SERVING (readiness) while PostgreSQL is unreachable, SERVING again after; liveness SERVING throughout", async () => {
    // Kafka is in the gauge too (the outbox relay's broker), but not in readiness.
    expect(await scrapeByLabel(metricsUrl, "recsys_dependency_up", "dependency")).toMatchObject({ postgres: 1 });

    await proxy.down();
    const downMs = await waitForHealth(address, { "": "NOT_SERVING", [SERVICE]: "NOT_SERVING", liveness: "SERVING" }, 15_000);
    await until("recsys_dependency_up{dependency=postgres} 0", async () => (await scrapeByLabel(metricsUrl, "recsys_dependency_up", "dependency")).postgres === 0, 5_000, proc.output);

    await proxy.up();
    const upMs = await waitForHealth(address, { "": "SERVING", [SERVICE]: "SERVING", liveness: "SERVING" }, 15_000);
    // Kafka is in the gauge too (the outbox relay's broker), but not in readiness.
    expect(await scrapeByLabel(metricsUrl, "recsys_dependency_up", "dependency")).toMatchObject({ postgres: 1 });
    expect(proc.exited()).toBe(false);
    console.info(`product health: NOT_SERVING ${downMs} ms after PostgreSQL was cut, SERVING ${upMs} ms after it was back`);
  }, 60_000);
});
