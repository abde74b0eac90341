import { describe, expect, it } from "vitest";
import { GmfCandidateIndex } from "./gmf-candidate-index.js";
import { topRows } from "./neumf-scorer.js";
import { fakeTrainedNeuMF } from "./testing-fixtures.js";

/** The exact GMF inner products `(h_G ⊙ p_u) · q_i` of one user over every item. */
function exactInnerProducts(trained: ReturnType<typeof fakeTrainedNeuMF>, user: number): Float64Array {
  const { gmfUser, gmfItem, outputKernel } = trained.scorer.weights;
  const dim = trained.options.gmfDim;
  const out = new Float64Array(trained.scorer.itemCount);
  for (let i = 0; i < out.length; i++) {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += gmfUser[user * dim + k]! * outputKernel[k]! * gmfItem[i * dim + k]!;
    out[i] = dot;
  }
  return out;
}

describe("GmfCandidateIndex", () => {
  const trained = fakeTrainedNeuMF(11, 20, 3_000, { gmfDim: 8 });

  it("retrieves nearly all of each user's exact top-k by GMF inner product, built over several batches", async () => {
    const index = await GmfCandidateIndex.build(trained.scorer, { batchSize: 700 });
    expect(index.size).toBe(3_000);
    let found = 0;
    const k = 100;
    for (let user = 0; user < 20; user++) {
      const rows = index.search(user, k);
      expect(rows.length).toBe(k);
      expect(new Set(rows).size).toBe(k);
      const exact = new Set(topRows(exactInnerProducts(trained, user), k));
      for (const row of rows) if (exact.has(row)) found++;
    }
    expect(found / (20 * k)).toBeGreaterThan(0.95);
  });

  it("returns the whole index, ranked exactly, for k at or above its size, and refuses a user row out of range or a bad option", async () => {
    const small = fakeTrainedNeuMF(3, 4, 30);
    const index = await GmfCandidateIndex.build(small.scorer);
    for (const user of [0, 1, 2, 3]) {
      const exact = topRows(exactInnerProducts(small, user), 30);
      expect([...index.search(user, 500)]).toEqual(exact);
      expect([...index.search(user, 30)]).toEqual(exact);
    }
    expect(() => index.search(4, 5)).toThrow(/user row 4 out of range/);
    await expect(GmfCandidateIndex.build(small.scorer, { connectivity: 0 })).rejects.toThrow(/connectivity must be a positive integer/);
  });
});
