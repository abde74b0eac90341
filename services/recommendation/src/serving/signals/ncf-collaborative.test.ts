import { describe, expect, it } from "vitest";
import { GmfCandidateIndex } from "../../models/ncf/gmf-candidate-index.js";
import { fakeTrainedNeuMF } from "../../models/ncf/testing-fixtures.js";
import type { LoadedNcfArtifact } from "../../storage/ncf-artifacts/artifact.js";
import type { NcfArtifactWatcher } from "../../storage/ncf-artifacts/artifact-watcher.js";
import { NcfCollaborativeModel } from "./ncf-collaborative.js";

/** A watcher stand-in whose current artifact the test swaps. */
function watcherOf(current: LoadedNcfArtifact | undefined): { current: LoadedNcfArtifact | undefined } {
  return { current };
}

function artifact(seed: number, items = 40): LoadedNcfArtifact {
  const trained = fakeTrainedNeuMF(seed, 6, items);
  return { version: `v${seed}`, scorer: trained.scorer } as unknown as LoadedNcfArtifact;
}

/** An artifact with a candidate index over its GMF item embeddings (as large catalogs are loaded). */
async function indexedArtifact(seed: number, items = 40): Promise<LoadedNcfArtifact> {
  const plain = artifact(seed, items);
  return { ...plain, candidates: await GmfCandidateIndex.build(plain.scorer) } as LoadedNcfArtifact;
}

describe("NcfCollaborativeModel", () => {
  it("gives the same candidates and scores with the per-user ranking cache as without it", async () => {
    const served = artifact(7);
    const cached = new NcfCollaborativeModel(watcherOf(served) as unknown as NcfArtifactWatcher);
    const uncached = new NcfCollaborativeModel(watcherOf(served) as unknown as NcfArtifactWatcher, { cachedUsers: 0 });
    const eligible = (id: string) => Number(id) % 3 !== 0;
    const ids = Array.from({ length: 40 }, (_, i) => String(i + 1)).concat(["not-in-model"]);
    for (const user of ["u0", "u3", "u5"]) {
      for (let round = 0; round < 2; round++) {
        expect(cached.topCandidates(user, 5, eligible)).toEqual(uncached.topCandidates(user, 5, eligible));
        const a = await cached.scores(user, ids);
        const b = await uncached.scores(user, ids);
        expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
        expect(a.has("not-in-model")).toBe(false);
        for (const [id, score] of b) expect(a.get(id)).toBeCloseTo(score, 12);
      }
    }
  });

  it("ranks again under a new model version (nothing of the old ranking is served)", () => {
    const watcher = watcherOf(artifact(1));
    const model = new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher);
    const all = () => true;
    const before = model.topCandidates("u1", 10, all);
    watcher.current = artifact(2);
    const fresh = new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher, { cachedUsers: 0 });
    expect(model.topCandidates("u1", 10, all)).toEqual(fresh.topCandidates("u1", 10, all));
    expect(model.version).toBe("v2");
    expect(before).not.toEqual(fresh.topCandidates("u1", 10, all));
  });

  it("knows no user and scores nothing while no model is loaded, or for a user the model has not seen", async () => {
    const none = new NcfCollaborativeModel(watcherOf(undefined) as unknown as NcfArtifactWatcher);
    expect(none.knowsUser("u1")).toBe(false);
    expect(none.topCandidates("u1", 5, () => true)).toEqual([]);
    expect((await none.scores("u1", ["1"])).size).toBe(0);
    const model = new NcfCollaborativeModel(watcherOf(artifact(3)) as unknown as NcfArtifactWatcher);
    expect(model.topCandidates("stranger", 5, () => true)).toEqual([]);
    expect((await model.scores("stranger", ["1", "2"])).size).toBe(0);
  });

  it("precomputes every user's ranking in the background once per model version, with the same results", async () => {
    const watcher = watcherOf(artifact(5));
    const model = new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher);
    const uncached = new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher, { cachedUsers: 0 });
    expect(await model.prewarm()).toBe(6);
    expect(await model.prewarm()).toBe(0);
    const ids = Array.from({ length: 40 }, (_, i) => String(i + 1));
    const a = await model.scores("u2", ids);
    const b = await uncached.scores("u2", ids);
    for (const [id, score] of b) expect(a.get(id)).toBeCloseTo(score, 12);
    watcher.current = artifact(6);
    expect(await model.prewarm()).toBe(6);
    // A cache too small for more than two users' scores (40 items × 8 bytes + 900 × 4 each) stops there.
    const small = new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher, { cacheBytes: 2 * (40 * 8 + 40 * 4) + 10 });
    expect(await small.prewarm()).toBe(2);
    expect(await new NcfCollaborativeModel(watcher as unknown as NcfArtifactWatcher, { cachedUsers: 0 }).prewarm()).toBe(0);
  });

  it("with a candidate index whose pool covers the catalog, ranks and scores exactly as without one", async () => {
    const indexed = new NcfCollaborativeModel(watcherOf(await indexedArtifact(8)) as unknown as NcfArtifactWatcher, { candidatePool: 40 });
    const exact = new NcfCollaborativeModel(watcherOf(artifact(8)) as unknown as NcfArtifactWatcher, { cachedUsers: 0 });
    const ids = Array.from({ length: 40 }, (_, i) => String(i + 1));
    for (const user of ["u0", "u4"]) {
      expect(indexed.topCandidates(user, 12, () => true)).toEqual(exact.topCandidates(user, 12, () => true));
      const a = await indexed.scores(user, ids);
      for (const [id, score] of await exact.scores(user, ids)) expect(a.get(id)).toBeCloseTo(score, 12);
    }
  });

  it("with a small pool, takes candidates from the retrieved pool and scores items outside it on demand", async () => {
    const served = await indexedArtifact(9, 2_000);
    const indexed = new NcfCollaborativeModel(watcherOf(served) as unknown as NcfArtifactWatcher, { candidatePool: 25 });
    const exact = new NcfCollaborativeModel(watcherOf(artifact(9, 2_000)) as unknown as NcfArtifactWatcher, { cachedUsers: 0 });
    const user = "u2";
    const userRow = served.scorer.userRow(user)!;
    // A ranking holds at least the 900 rows topCandidates asks for, so the pool of 25 grows to 900 of the 2,000 items.
    const pool = new Set([...served.candidates!.search(userRow, 900)].map((row) => served.scorer.itemIds[row]!));
    const top = indexed.topCandidates(user, 10, () => true);
    expect(top.length).toBe(10);
    for (const id of top) expect(pool.has(id)).toBe(true);
    const scores = await indexed.scores(user, top);
    const ordered = top.map((id) => scores.get(id)!);
    expect([...ordered].sort((a, b) => b - a)).toEqual(ordered);
    const ids = Array.from({ length: 2_000 }, (_, i) => String(i + 1));
    expect(ids.filter((id) => !pool.has(id)).length).toBe(1_100);
    const a = await indexed.scores(user, ids);
    const b = await exact.scores(user, ids);
    expect(a.size).toBe(2_000);
    for (const [id, score] of b) expect(a.get(id)).toBeCloseTo(score, 12);
  });
});
