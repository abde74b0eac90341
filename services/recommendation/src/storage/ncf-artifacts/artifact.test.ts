import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  listNcfArtifactVersions,
  loadNcfArtifact,
  loadNewestValidArtifact,
  NCF_ARTIFACT_FILES,
  NcfArtifactError,
  ncfArtifactRoot,
  pruneNcfArtifacts,
  writeNcfArtifact,
} from "./artifact.js";
import { fakeTrainedNeuMF } from "../../models/ncf/testing-fixtures.js";

let root: string;
beforeEach(async () => {
  root = ncfArtifactRoot(await mkdtemp(path.join(tmpdir(), "ncf-artifact-")));
});
afterEach(async () => {
  await rm(path.dirname(root), { recursive: true, force: true });
});

/** Rewrites one file of an artifact and, when asked, its checksum in the manifest (to reach the checks behind it). */
async function tamper(dir: string, file: string, edit: (text: string) => string, fixChecksum: boolean): Promise<void> {
  const text = edit(await readFile(path.join(dir, file), "utf8"));
  await writeFile(path.join(dir, file), text);
  if (!fixChecksum) return;
  const { createHash } = await import("node:crypto");
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
  manifest.files[file] = { sha256: createHash("sha256").update(text).digest("hex"), bytes: Buffer.byteLength(text) };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
}

describe("NCF artifact", () => {
  it("round-trips weights, id maps, options, data snapshot and metrics", async () => {
    const trained = fakeTrainedNeuMF(1);
    const { version, dir } = await writeNcfArtifact(root, trained, { validationUsers: 610, now: new Date("2026-01-02T03:04:05.678Z") });
    expect(version).toMatch(/^20260102T030405678Z-[0-9a-f]{8}$/);
    expect(dir).toBe(path.join(root, version));
    expect((await readdir(root)).sort()).toEqual([version]); // no temporary directory left behind
    expect((await readdir(dir)).sort()).toEqual([...NCF_ARTIFACT_FILES, "manifest.json"].sort());

    const loaded = await loadNcfArtifact(dir);
    expect(loaded.version).toBe(version);
    expect(loaded.manifest).toMatchObject({ format: "recsys-ncf-neumf", formatVersion: 1, createdAt: "2026-01-02T03:04:05.678Z" });
    expect(loaded.options).toEqual(trained.options);
    expect(loaded.data).toEqual(trained.data);
    expect(loaded.metrics).toMatchObject({ validationHr10: 0.7, validationNdcg10: 0.45, validationUsers: 610, backend: "wasm", trainingMs: 1234 });
    expect(loaded.scorer.userIds).toEqual(trained.scorer.userIds);
    expect(loaded.scorer.itemIds).toEqual(trained.scorer.itemIds);
    expect(loaded.scorer.weights).toEqual(trained.scorer.weights);
    expect(loaded.scorer.score("u2", ["1", "5", "12"])).toEqual(trained.scorer.score("u2", ["1", "5", "12"]));
  });

  it("builds a candidate index at load only for models that know at least minItems items", async () => {
    const { dir } = await writeNcfArtifact(root, fakeTrainedNeuMF(4, 5, 60));
    expect((await loadNcfArtifact(dir)).candidates).toBeUndefined();
    expect((await loadNcfArtifact(dir, { candidateIndex: { minItems: 61 } })).candidates).toBeUndefined();
    const indexed = await loadNcfArtifact(dir, { candidateIndex: { minItems: 60, batchSize: 16 } });
    expect(indexed.candidates?.size).toBe(60);
    expect([...indexed.candidates!.search(1, 100)].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect((await loadNewestValidArtifact(root, { candidateIndex: { minItems: 10 } })).artifact?.candidates?.size).toBe(60);
  });

  it("loads the newest valid version and reports the newer ones it refused", async () => {
    const older = await writeNcfArtifact(root, fakeTrainedNeuMF(1), { now: new Date("2026-01-01T00:00:00Z") });
    const newer = await writeNcfArtifact(root, fakeTrainedNeuMF(2), { now: new Date("2026-01-02T00:00:00Z") });
    expect(await listNcfArtifactVersions(root)).toEqual([newer.version, older.version]);
    expect((await loadNewestValidArtifact(root)).artifact?.version).toBe(newer.version);

    // Corrupt one byte of the newest weights: refused for its checksum, the older one is used.
    const bin = await readFile(path.join(newer.dir, "weights.bin"));
    bin[17] = bin[17]! ^ 0xff;
    await writeFile(path.join(newer.dir, "weights.bin"), bin);
    await expect(loadNcfArtifact(newer.dir)).rejects.toThrow(/checksum mismatch for weights\.bin/);
    const result = await loadNewestValidArtifact(root);
    expect(result.artifact?.version).toBe(older.version);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toBeInstanceOf(NcfArtifactError);
    expect(result.rejected[0]!.version).toBe(newer.version);
    expect(result.rejected[0]!.message).toBe(`NCF artifact ${newer.version} refused: checksum mismatch for weights.bin (SHA-256 differs from the manifest)`);
    expect((await loadNewestValidArtifact(root, { newerThan: older.version })).artifact).toBeUndefined();
  });

  it("refuses an incompatible format version, a foreign format and a missing file, each with its own message", async () => {
    const { dir } = await writeNcfArtifact(root, fakeTrainedNeuMF(1));
    await tamper(dir, "manifest.json", (t) => t.replace('"formatVersion": 1', '"formatVersion": 2'), false);
    await expect(loadNcfArtifact(dir)).rejects.toThrow(/incompatible format version 2 \(this build reads version 1\)/);
    await tamper(dir, "manifest.json", (t) => t.replace('"formatVersion": 2', '"formatVersion": 1').replace("recsys-ncf-neumf", "something-else"), false);
    await expect(loadNcfArtifact(dir)).rejects.toThrow(/format is "something-else"/);
    await tamper(dir, "manifest.json", (t) => t.replace("something-else", "recsys-ncf-neumf"), false);
    await rm(path.join(dir, "items.json"));
    await expect(loadNcfArtifact(dir)).rejects.toThrow(/cannot read items\.json \(ENOENT\)/);
  });

  it("refuses weights whose shapes disagree with the options or id maps, even with valid checksums", async () => {
    const { dir } = await writeNcfArtifact(root, fakeTrainedNeuMF(1));
    await tamper(dir, "options.json", (t) => t.replace('"gmfDim": 4', '"gmfDim": 5'), true);
    await expect(loadNcfArtifact(dir)).rejects.toThrow(/tensor gmf_user_embedding has shape \[5,4\], the options and id maps imply \[5, 5\]/);

    const second = await writeNcfArtifact(root, fakeTrainedNeuMF(2), { now: new Date(Date.now() + 1000) });
    await tamper(second.dir, "users.json", (t) => JSON.stringify([...JSON.parse(t), "extra-user"]), true);
    await expect(loadNcfArtifact(second.dir)).rejects.toThrow(/gmf_user_embedding has shape \[5,4\].*\[6, 4\]/);

    const third = await writeNcfArtifact(root, fakeTrainedNeuMF(3), { now: new Date(Date.now() + 2000) });
    await tamper(third.dir, "items.json", (t) => JSON.stringify(JSON.parse(t).map(() => "same")), true);
    await expect(loadNcfArtifact(third.dir)).rejects.toThrow(/items\.json has duplicate ids/);
  });

  it("ignores temporary directories and unrelated names, and a missing root has no versions", async () => {
    expect(await listNcfArtifactVersions(path.join(root, "missing"))).toEqual([]);
    expect(await loadNewestValidArtifact(path.join(root, "missing"))).toEqual({ artifact: undefined, rejected: [] });
    const { version } = await writeNcfArtifact(root, fakeTrainedNeuMF(1), { now: new Date("2026-01-01T00:00:00Z") });
    const newest = await writeNcfArtifact(root, fakeTrainedNeuMF(2), { now: new Date("2026-01-02T00:00:00Z") });
    await rm(path.join(newest.dir, "manifest.json"));
    await mkdir(path.join(root, ".tmp-99990101T000000000Z-00000000-abcd"));
    await mkdir(path.join(root, "notes"));
    expect(await listNcfArtifactVersions(root)).toEqual([newest.version, version]);
    // The newest lacks its manifest (as if copied by hand, half-way): refused, the older one loads.
    const result = await loadNewestValidArtifact(root);
    expect(result.artifact?.version).toBe(version);
    expect(result.rejected.map((e) => e.problem)).toEqual(["cannot read manifest.json (ENOENT)"]);
  });

  it("prunes all but the newest versions, leaving temporary directories and other names alone", async () => {
    const versions: string[] = [];
    for (let day = 1; day <= 4; day++) versions.push((await writeNcfArtifact(root, fakeTrainedNeuMF(day), { now: new Date(Date.UTC(2026, 0, day)) })).version);
    await mkdir(path.join(root, ".tmp-20250101T000000000Z-00000000-abcd"));
    expect(await pruneNcfArtifacts(root, 2)).toEqual([versions[1], versions[0]]);
    expect(await listNcfArtifactVersions(root)).toEqual([versions[3], versions[2]]);
    expect((await readdir(root)).sort()).toEqual([".tmp-20250101T000000000Z-00000000-abcd", versions[2], versions[3]].sort());
    expect(await pruneNcfArtifacts(root, 2)).toEqual([]);
    await expect(pruneNcfArtifacts(root, 0)).rejects.toThrow(RangeError);
  });
});
