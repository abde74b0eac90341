import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { resolveMovieLensDir } from "../../services/shared/src/movielens.js";
import { readMappingFile, type FieldMapping, type ImportKind } from "../../scripts/import/field-mapping.js";
import { createBatchSender } from "../../scripts/import/import-target.js";
import { importMovieLensViaRpc } from "../../scripts/import/movielens-adapter.js";
import { runImport, type ImportSummary } from "../../scripts/import/run-import.js";
import { REPO_ROOT } from "../../scripts/infra/paths.js";
import { FAULT_MESH_PORTS, OWN_MESH_SERVICE_TOKEN } from "../../scripts/mesh-support/private-mesh.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// The file importer end to end (scripts/import/): the synthetic e-commerce sample
// (docs/samples/ecommerce) and a MovieLens slice through the public batch RPCs of a private mesh,
// checking what the services stored, that a second run changes nothing, that bad rows are named by
// line and field, that an interrupted import continues after its checkpoint, and the exit codes.

const SAMPLE = path.join(REPO_ROOT, "docs", "samples", "ecommerce");
const run = promisify(execFile);
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "scripts", "import", "cli.ts");

describe("npm run import -- products|users|events FILE (private mesh)", () => {
  const ports = FAULT_MESH_PORTS.importer;
  const suite = usePrivateMesh({ name: "import-files", ports: ports.infra, servicePorts: ports.services });
  const checkpoints = mkdtempSync(path.join(tmpdir(), "import-checkpoints-"));
  let engagementDb: pg.Pool;

  beforeAll(() => {
    engagementDb = new pg.Pool({ connectionString: suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement), max: 2 });
  });
  afterAll(async () => {
    await engagementDb?.end();
  });

  const sampleEvents = async (): Promise<number> =>
    (await engagementDb.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE user_id LIKE 'u-%'")).rows[0]!.n;
  const allEvents = async (): Promise<number> => (await engagementDb.query<{ n: number }>("SELECT count(*)::int AS n FROM events")).rows[0]!.n;

  const importFile = (
    kind: ImportKind,
    file: string,
    options: { mapping?: FieldMapping; target?: string; batchSize?: number; maxBatches?: number } = {},
  ): Promise<ImportSummary> =>
    runImport({
      kind,
      file,
      mapping: options.mapping ?? {},
      sender: createBatchSender(kind, {
        target: options.target ?? suite.mesh.addresses[kind === "products" ? "product" : kind === "users" ? "user" : "engagement"],
        token: OWN_MESH_SERVICE_TOKEN,
        timeoutMs: 30_000,
      }),
      batchSize: options.batchSize ?? 500,
      checkpointDir: checkpoints,
      progress: "silent",
      ...(options.maxBatches !== undefined ? { maxBatches: options.maxBatches } : {}),
    });

  it("loads the sample's 3,000 products from CSV, and the same catalog from JSON Lines with its mapping changes nothing", async () => {
    const first = await importFile("products", path.join(SAMPLE, "products.csv"));
    expect(first.counts).toEqual({ read: 3000, created: 3000, updated: 0, unchanged: 0, rejected: 0 });
    expect(first.complete).toBe(true);

    const client = createClient(ProductService, createGrpcTransport({ baseUrl: `http://${suite.mesh.addresses.product}`, defaultTimeoutMs: 5_000 }));
    const { product } = await client.getProduct({ productId: "sku-EL_5660.0" });
    expect(product).toMatchObject({
      title: "Kibo Smart Keyboard",
      categories: ["Electronics"],
      tags: ["usb-c", "bluetooth"],
      price: { currencyCode: "USD", units: 227n, nanos: 990_000_000 },
      imageUrl: "https://images.example.com/products/sku-EL_5660.0.jpg",
      attributes: { brand: "Kibo", color: "charcoal", material: "plastic" },
    });

    const again = await importFile("products", path.join(SAMPLE, "products.jsonl"), {
      mapping: readMappingFile(path.join(SAMPLE, "products.jsonl.mapping.yaml"), "products"),
      batchSize: 1000,
    });
    expect(again.counts).toEqual({ read: 3000, created: 0, updated: 0, unchanged: 3000, rejected: 0 });
  }, 180_000);

  it("loads the 500 users through Envoy's gRPC routes (a remote mesh's one address), and again changes nothing", async () => {
    const first = await importFile("users", path.join(SAMPLE, "users.csv"), { target: suite.mesh.restUrl });
    expect(first.counts).toEqual({ read: 500, created: 500, updated: 0, unchanged: 0, rejected: 0 });
    const again = await importFile("users", path.join(SAMPLE, "users.jsonl"), { target: suite.mesh.restUrl });
    expect(again.counts).toEqual({ read: 500, created: 0, updated: 0, unchanged: 500, rejected: 0 });

    // The same RPC as REST: POST /v1/users:batchImport.
    const rest = await fetch(`${suite.mesh.restUrl}/v1/users:batchImport`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${OWN_MESH_SERVICE_TOKEN}` },
      body: JSON.stringify({ users: [{ userId: "u-0001", username: "nobody.else", email: "" }, { userId: "rest-1", username: "rest.user1", email: "" }] }),
    });
    expect(rest.status).toBe(200);
    const body = (await rest.json()) as { results: { userId: string; status: { code?: number; message?: string }; outcome?: string }[] };
    expect(body.results.map((r) => [r.userId, r.status.code ?? 0, r.outcome ?? "IMPORT_USER_OUTCOME_UNSPECIFIED"])).toEqual([
      ["u-0001", 6, "IMPORT_USER_OUTCOME_UNSPECIFIED"],
      ["rest-1", 0, "IMPORT_USER_OUTCOME_CREATED"],
    ]);
    expect(body.results[0]!.status.message).toBe('users[0].user_id: "u-0001" is stored with another username or email');
    const anonymous = await fetch(`${suite.mesh.restUrl}/v1/users:batchImport`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"users\":[]}" });
    expect(anonymous.status).toBe(401);
  }, 120_000);

  it("continues an import stopped after two batches where it stopped, then a second run from JSON Lines records no new event", async () => {
    const file = path.join(SAMPLE, "events.csv");
    const stopped = await importFile("events", file, { batchSize: 1000, maxBatches: 2 });
    expect(stopped.complete).toBe(false);
    expect(stopped.lastLine).toBe(2001);
    expect(stopped.counts).toEqual({ read: 2000, created: 2000, updated: 0, unchanged: 0, rejected: 0 });
    expect(await sampleEvents()).toBe(2000);

    const resumed = await importFile("events", file, { batchSize: 1000 });
    expect(resumed.resumedAfterLine).toBe(2001);
    expect(resumed.readThisRun).toBe(18_000);
    expect(resumed.complete).toBe(true);
    expect(resumed.counts).toEqual({ read: 20_000, created: 20_000, updated: 0, unchanged: 0, rejected: 0 });
    expect(await sampleEvents()).toBe(20_000);

    const again = await importFile("events", path.join(SAMPLE, "events.jsonl"), {
      mapping: readMappingFile(path.join(SAMPLE, "events.jsonl.mapping.yaml"), "events"),
      batchSize: 1000,
    });
    expect(again.counts).toEqual({ read: 20_000, created: 0, updated: 0, unchanged: 20_000, rejected: 0 });
    expect(await sampleEvents()).toBe(20_000);
  }, 300_000);

  it("names each bad row by line and field, stores the good ones, and exits 1", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "import-bad-"));
    const file = path.join(dir, "products.jsonl");
    writeFileSync(
      file,
      [
        '{"product_id":"sku-OK_1.0","title":"Good","price":"1.50","currency":"EUR"}',
        '{"product_id":"sku-BAD_2.0","title":"Comma","price":"12,99","currency":"EUR"}',
        '{"product_id":"sku-BAD_3.0"}',
        "{not json",
        '{"product_id":"bad id!","title":"Spaces"}',
      ].join("\n"),
    );
    const cli = await run(TSX, [CLI, "products", file, "--target", suite.mesh.addresses.product, "--token", OWN_MESH_SERVICE_TOKEN, "--checkpoint-dir", dir, "--progress", "silent"], {
      cwd: REPO_ROOT,
    }).then(
      () => ({ code: 0, stdout: "" }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/accepted {2}1 \(1 created, 0 updated\)/);
    expect(cli.stdout).toMatch(/rejected {2}4/);
    expect(cli.stdout).toContain('line 2: price: "12,99" is not a decimal amount like 12.99');
    expect(cli.stdout).toMatch(/line 3: title: /);
    expect(cli.stdout).toMatch(/line 4: not valid JSON/);
    expect(cli.stdout).toMatch(/line 5: product_id: /);

    const events = path.join(dir, "events.csv");
    writeFileSync(events, "user_id,product_id,type,value,occur_time\nu-0001,sku-OK_1.0,like,,2025-02-01T00:00:00Z\nu-9999,sku-OK_1.0,like,,2025-02-01T00:00:00Z\nu-0001,sku-OK_1.0,rate,9,2025-02-01T00:00:00Z\n");
    const summary = await importFile("events", events);
    expect(summary.counts).toMatchObject({ read: 3, created: 1, rejected: 2 });
    expect(summary.errors.map((e) => [e.line, e.field])).toEqual([
      [3, "user_id"],
      [4, "value"],
    ]);
  }, 120_000);

  it("exits 3 with a clear UNAVAILABLE message when the target is down, without hanging", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "import-down-"));
    const res = await run(TSX, [CLI, "users", path.join(SAMPLE, "users.csv"), "--target", "127.0.0.1:1", "--token", "t", "--checkpoint-dir", dir, "--progress", "silent"], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(res.code).toBe(3);
    expect(res.stderr).toContain("users: 127.0.0.1:1 is unavailable");
  }, 90_000);

  it("imports a MovieLens slice through the adapter: the COPY-imported mesh answers unchanged for every movie, user and rating", async () => {
    const before = await allEvents();
    const summaries = await importMovieLensViaRpc({
      paths: await resolveMovieLensDir({ dir: suite.mesh.imported.dir }),
      targets: { products: suite.mesh.addresses.product, users: suite.mesh.addresses.user, events: suite.mesh.addresses.engagement },
      token: OWN_MESH_SERVICE_TOKEN,
      timeoutMs: 30_000,
      batchSize: 1000,
      workDir: mkdtempSync(path.join(tmpdir(), "import-movielens-")),
      progress: "silent",
    });
    const [products, users, ratings] = summaries.map((s) => s.counts);
    expect(products).toEqual({ read: suite.mesh.imported.catalog.total, created: 0, updated: 0, unchanged: suite.mesh.imported.catalog.total, rejected: 0 });
    expect(users).toEqual({ read: suite.mesh.imported.users.total, created: 0, updated: 0, unchanged: suite.mesh.imported.users.total, rejected: 0 });
    expect(ratings).toEqual({ read: suite.mesh.imported.ratings.total, created: 0, updated: 0, unchanged: suite.mesh.imported.ratings.total, rejected: 0 });
    expect(await allEvents()).toBe(before);
  }, 180_000);
});
