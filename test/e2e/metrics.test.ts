import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { bearer, rest, testMesh } from "../support/mesh.js";

// What an operator's Prometheus scrapes: every process of the mesh serves /metrics in the text
// format, and the figures move with real traffic.

/** One scrape of a process's endpoint. */
async function scrape(process: string): Promise<string> {
  const url = testMesh().metricsUrls[process];
  if (!url) throw new Error(`no metrics URL for ${process}: ${JSON.stringify(testMesh().metricsUrls)}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/**
 * The value of one sample, or undefined when absent.
 *
 * @param labels - labels the sample must carry (others may be present too).
 */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const present = Object.fromEntries([...(m[3] ?? "").matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(m[4]);
  }
  return undefined;
}

/** Polls a process's metrics until `accept` holds (the consumer applies events asynchronously). */
async function eventually(process: string, accept: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(process);
    if (accept(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("Prometheus metrics", () => {
  const processes = ["recommendation", "product", "user", "engagement", "trending-consumer"];

  it("every process serves the process defaults at GET /metrics and 404 elsewhere", async () => {
    expect(Object.keys(testMesh().metricsUrls).sort()).toEqual([...processes].sort());
    for (const process of processes) {
      const text = await scrape(process);
      expect(sample(text, "process_cpu_seconds_total"), process).toBeGreaterThan(0);
      expect(sample(text, "process_resident_memory_bytes"), process).toBeGreaterThan(1e6);
      expect(text, process).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
      const other = await fetch(testMesh().metricsUrls[process]!.replace(/\/metrics$/, "/other"));
      expect(other.status).toBe(404);
    }
  });

  it("counts each RPC by method and gRPC code, with a latency histogram in seconds", async () => {
    const labels = (code: string) => ({ grpc_service: "recsys.product.v1.ProductService", grpc_method: "GetProduct", grpc_code: code });
    const histogram = { grpc_service: "recsys.product.v1.ProductService", grpc_method: "GetProduct" };
    const before = await scrape("product");
    expect((await rest("GET", "/v1/products/1")).status).toBe(200);
    expect((await rest("GET", "/v1/products/1")).status).toBe(200);
    expect((await rest("GET", "/v1/products/99999999")).status).toBe(404);
    const after = await scrape("product");
    // At least: other suites may call GetProduct at the same time.
    const delta = (name: string, l: Record<string, string>) => (sample(after, name, l) ?? 0) - (sample(before, name, l) ?? 0);
    expect(delta("grpc_server_handled_total", labels("OK"))).toBeGreaterThanOrEqual(2);
    expect(delta("grpc_server_handled_total", labels("NOT_FOUND"))).toBeGreaterThanOrEqual(1);
    expect(delta("grpc_server_handling_seconds_count", histogram)).toBeGreaterThanOrEqual(3);
    expect(sample(after, "grpc_server_handling_seconds_bucket", { ...histogram, le: "+Inf" })).toBe(sample(after, "grpc_server_handling_seconds_count", histogram));
    expect(sample(after, "recsys_pg_pool_connections", { database: "catalog", state: "total" })).toBeGreaterThanOrEqual(0);
  });

  it("an accepted event moves the outbox and consumer figures; lag is reported per partition", async () => {
    const engagementBefore = await scrape("engagement");
    const consumerBefore = await scrape("trending-consumer");
    const published = (t: string) => sample(t, "recsys_outbox_published_rows_total") ?? 0;
    const applied = (t: string) => sample(t, "recsys_trending_events_applied_total") ?? 0;
    const res = await rest("POST", "/v1/events", { userId: "7", productId: "6", type: "EVENT_TYPE_CLICK", eventId: `metrics-${randomUUID()}` }, bearer());
    expect(res.status).toBe(200);
    const engagement = await eventually("engagement", (t) => published(t) > published(engagementBefore));
    expect(published(engagement)).toBeGreaterThan(published(engagementBefore));
    expect(sample(engagement, "recsys_outbox_pending_rows")).toBeGreaterThanOrEqual(0);
    expect(sample(engagement, "recsys_outbox_oldest_row_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(engagement, "recsys_outbox_relay_failing")).toBe(0);
    const consumer = await eventually("trending-consumer", (t) => applied(t) > applied(consumerBefore));
    expect(applied(consumer)).toBeGreaterThan(applied(consumerBefore));
    expect(sample(consumer, "recsys_consumer_lag_messages", { topic: "engagement-events", partition: "0" })).toBeGreaterThanOrEqual(0);
    expect(sample(consumer, "recsys_trending_store_down")).toBe(0);
  });

  it("the recommendation service reports the served NeuMF version, the models' ages and Redis", async () => {
    const text = await scrape("recommendation");
    const info = text.split("\n").find((l) => l.startsWith("recsys_ncf_model_info{"));
    expect(info).toMatch(/^recsys_ncf_model_info\{version="\d{8}T\d{9}Z-[0-9a-f]{8}"\} 1$/);
    expect(sample(text, "recsys_ncf_model_age_seconds")).toBeGreaterThan(0);
    expect(sample(text, "recsys_ncf_model_items")).toBeGreaterThan(1000);
    expect(sample(text, "recsys_model_snapshot_age_seconds")).toBeGreaterThan(0);
    expect(sample(text, "recsys_redis_up")).toBe(1);
  });

  it("the recommendation service counts the impressions it writes to the engagement service", async () => {
    const recorded = (t: string) => sample(t, "recsys_impressions_recorded_total") ?? 0;
    const before = await scrape("recommendation");
    const res = await rest("GET", "/v1/products/1/similar?limit=3");
    expect(res.status).toBe(200);
    const after = await eventually("recommendation", (t) => recorded(t) > recorded(before));
    expect(recorded(after)).toBeGreaterThan(recorded(before));
    expect(sample(after, "recsys_impressions_dropped_total", { reason: "buffer_full" })).toBe(0);
    expect(sample(after, "recsys_impressions_dropped_total", { reason: "rejected" })).toBe(0);
    expect(sample(after, "recsys_impression_write_failures_total")).toBeGreaterThanOrEqual(0);
    expect(sample(after, "recsys_impressions_buffered")).toBeGreaterThanOrEqual(0);
  });

  it("the Grafana dashboard in docs/grafana reads only metrics that some process serves", async () => {
    const dashboard = JSON.parse(await readFile(new URL("../../docs/grafana/recsys-dashboard.json", import.meta.url), "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const names = new Set(
      dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(?:recsys|grpc_server|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0]))),
    );
    expect(names.size).toBeGreaterThan(10);
    const served = (await Promise.all(processes.map((p) => scrape(p)))).join("\n");
    // Declared (# TYPE) metrics count too: a labelled counter nothing has incremented has no sample yet.
    const declared = new Set([...served.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    for (const name of names) expect(declared.has(name.replace(/_(bucket|count|sum)$/, "")) || declared.has(name), name).toBe(true);
  });
});
