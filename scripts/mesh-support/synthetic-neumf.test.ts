import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadNewestValidArtifact, ncfArtifactRoot } from "../../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { writeSyntheticCatalog } from "./synthetic-catalog.js";
import { SYNTHETIC_NEUMF_BACKEND, writeSyntheticNeuMFArtifact } from "./synthetic-neumf.js";

const root = mkdtempSync(path.join(tmpdir(), "synthetic-neumf-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("writeSyntheticNeuMFArtifact", () => {
  it("writes a valid artifact over every user and item of the catalog", async () => {
    const catalog = await writeSyntheticCatalog(path.join(root, "catalog"), { items: 600, seed: 4 });
    const modelDir = path.join(root, "models");
    const written = await writeSyntheticNeuMFArtifact(modelDir, catalog);
    const { artifact } = await loadNewestValidArtifact(ncfArtifactRoot(modelDir));
    expect(artifact?.version).toBe(written.version);
    expect(artifact?.scorer.userCount).toBe(500);
    expect(artifact?.scorer.itemCount).toBe(600);
    expect(artifact?.metrics.backend).toBe(SYNTHETIC_NEUMF_BACKEND);
    const scores = artifact!.scorer.score("1", ["1", "2", "600"])!;
    for (const s of scores) expect(s).toBeGreaterThan(0);
  });
});
