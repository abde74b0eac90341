/**
 * Benchmark of the file importer through the public batch RPCs (scripts/import/): all of MovieLens
 * ml-latest-small (9,742 movies, 610 users, 100,836 ratings) through the MovieLens adapter
 * (`npm run import -- movielens --via-rpc`) into a private mesh that holds the 300-movie subset (so
 * most rows are new), then the same again (every row unchanged or a duplicate), then the synthetic
 * e-commerce sample (docs/samples/ecommerce: 3,000 products, 500 users, 20,000 events). Prints each
 * import's summary and the wall time of each round, for comparison with the COPY load of
 * `npm run import` (scripts/movielens-import.int.test.ts prints its stage times).
 *
 * Usage: `npm run bench:import -- [batch size]` (default 1000). MOVIELENS_DIR as for the other
 * benches. The mesh uses the importer's ports (FAULT_MESH_PORTS.importer).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { resolveMovieLensDir } from "../services/shared/src/movielens.js";
import { readMappingFile, type ImportKind } from "../scripts/import/field-mapping.js";
import { formatSummary } from "../scripts/import/import-summary.js";
import { createBatchSender } from "../scripts/import/import-target.js";
import { importMovieLensViaRpc } from "../scripts/import/movielens-adapter.js";
import { runImport, type ImportSummary } from "../scripts/import/run-import.js";
import { FAULT_MESH_PORTS, OWN_MESH_SERVICE_TOKEN, startOwnMesh } from "../scripts/mesh-support/private-mesh.js";
import { printMachine } from "./support/machine.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.env.MOVIELENS_DIR ?? path.resolve(repoRoot, "..", "shared", "data", "ml-latest-small");
const batchSize = Number(process.argv[2] ?? 1000);
const sample = path.join(repoRoot, "docs", "samples", "ecommerce");

printMachine();
const ports = FAULT_MESH_PORTS.importer;
const mesh = await startOwnMesh({ name: "bench-import", ports: ports.infra, servicePorts: ports.services });
const work = mkdtempSync(path.join(tmpdir(), "bench-import-"));
const targets: Record<ImportKind, string> = { products: mesh.addresses.product, users: mesh.addresses.user, events: mesh.addresses.engagement };
const round = async (name: string, body: () => Promise<ImportSummary[]>): Promise<void> => {
  const started = performance.now();
  const summaries = await body();
  console.log(`== ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const s of summaries) process.stdout.write(formatSummary(s));
};
try {
  for (const name of ["MovieLens via RPC, first", "MovieLens via RPC, again"]) {
    await round(name, async () =>
      importMovieLensViaRpc({
        paths: await resolveMovieLensDir({ dir }),
        targets,
        token: OWN_MESH_SERVICE_TOKEN,
        timeoutMs: 60_000,
        batchSize,
        workDir: mkdtempSync(path.join(work, "movielens-")),
        progress: "silent",
      }),
    );
  }
  await round("e-commerce sample", async () => {
    const out: ImportSummary[] = [];
    for (const [kind, file, mapping] of [
      ["products", "products.csv"],
      ["users", "users.csv"],
      ["events", "events.jsonl", "events.jsonl.mapping.yaml"],
    ] as const satisfies readonly (readonly [ImportKind, string, string?])[]) {
      out.push(
        await runImport({
          kind,
          file: path.join(sample, file),
          mapping: mapping ? readMappingFile(path.join(sample, mapping), kind) : {},
          sender: createBatchSender(kind, { target: targets[kind], token: OWN_MESH_SERVICE_TOKEN, timeoutMs: 60_000 }),
          batchSize,
          checkpointDir: path.join(work, "checkpoints"),
          progress: "silent",
        }),
      );
    }
    return out;
  });
} finally {
  await mesh.stop();
}
