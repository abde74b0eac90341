import { beforeAll, describe, expect, it } from "vitest";
import { mulberry32, shuffleInPlace } from "../../models/prng.js";
import { useTensorFlowBackend } from "./tf-backend.js";
import type { EpochStats, NcfInteraction, ValidationCase } from "../../models/ncf/ncf-types.js";
import { trainNeuMF } from "./train.js";

const CLUSTER = 50;
const USERS = 100;
const PER_USER = 10;

/**
 * A planted pattern: two groups of users, each interacting only with items of its own cluster
 * (CLUSTER items each); every user's latest interaction is held out.
 */
function plantedData(): { train: NcfInteraction[]; heldOut: Map<string, string>; clusterOf: (item: string) => number; groupOf: (user: string) => number } {
  const random = mulberry32(123);
  const train: NcfInteraction[] = [];
  const heldOut = new Map<string, string>();
  for (let u = 0; u < USERS; u++) {
    const group = u % 2;
    const own = Int32Array.from({ length: CLUSTER }, (_, k) => group * CLUSTER + k);
    shuffleInPlace(own, random);
    const chosen = [...own.subarray(0, PER_USER)];
    chosen.forEach((item, t) => {
      if (t === chosen.length - 1) heldOut.set(`user-${u}`, `item-${item}`);
      else train.push({ userId: `user-${u}`, productId: `item-${item}`, timestampMs: 1_000 * t });
    });
  }
  return {
    train,
    heldOut,
    clusterOf: (item) => (Number(item.slice(5)) < CLUSTER ? 0 : 1),
    groupOf: (user) => Number(user.slice(5)) % 2,
  };
}

const SMALL = { gmfDim: 8, mlpEmbeddingDim: 8, mlpLayers: [16, 8], batchSize: 32, learningRate: 0.005, epochs: 10, seed: 7 };

describe("trainNeuMF", () => {
  beforeAll(async () => {
    await useTensorFlowBackend("wasm");
  });

  it("recovers a planted two-cluster pattern: held-out items and top-10 lists come from the user's own cluster", async () => {
    const data = plantedData();
    const allItems = Array.from({ length: 2 * CLUSTER }, (_, i) => `item-${i}`);
    // Each held-out item is ranked against the whole other cluster (chance of a top-10 hit: 10/51).
    const validation: ValidationCase[] = [...data.heldOut].map(([userId, heldOut]) => ({
      userId,
      heldOut,
      candidates: allItems.filter((i) => data.clusterOf(i) !== data.groupOf(userId)),
    }));
    const seen: EpochStats[] = [];
    const trained = await trainNeuMF(data.train, SMALL, { validation, onEpoch: (s) => seen.push(s) });

    expect(trained.backend).toBe("wasm");
    expect(trained.epochs).toEqual(seen);
    expect(seen.map((s) => s.epoch)).toEqual(Array.from({ length: SMALL.epochs }, (_, i) => i + 1));
    expect(seen.at(-1)!.loss).toBeLessThan(seen[0]!.loss * 0.6);
    expect(seen[0]!.samplesPerSecond).toBeGreaterThan(0);
    expect(seen.at(-1)!.validationHr10).toBeGreaterThanOrEqual(0.8);
    expect(trained.data).toMatchObject({ users: USERS, interactions: USERS * (PER_USER - 1), events: USERS * (PER_USER - 1) });

    // The best unseen items of a user are its own cluster's (chance: about 41/91 of them).
    let ownShare = 0;
    for (const userId of data.heldOut.keys()) {
      const seenByUser = data.train.filter((e) => e.userId === userId).map((e) => e.productId);
      const top = trained.scorer.topK(userId, 10, seenByUser);
      expect(top).toHaveLength(10);
      ownShare += top.filter((t) => data.clusterOf(t.productId) === data.groupOf(userId)).length / 10 / USERS;
    }
    expect(ownShare).toBeGreaterThanOrEqual(0.9);
  });

  it("is reproducible from its seed, and another seed gives another model", async () => {
    const { train } = plantedData();
    const options = { ...SMALL, epochs: 2 };
    const a = await trainNeuMF(train, options);
    const b = await trainNeuMF(train, options);
    const c = await trainNeuMF(train, { ...options, seed: 8 });
    expect(b.scorer.weights).toEqual(a.scorer.weights);
    expect(b.epochs.map((s) => s.loss)).toEqual(a.epochs.map((s) => s.loss));
    expect(c.scorer.weights.gmfUser).not.toEqual(a.scorer.weights.gmfUser);
  });

  it("trains with dense Adam over whole tables too (the gather gradient path)", async () => {
    const { train } = plantedData();
    const trained = await trainNeuMF(train, { ...SMALL, epochs: 3, embeddingOptimizer: "adam" });
    expect(trained.epochs[2]!.loss).toBeLessThan(trained.epochs[0]!.loss);
    expect(trained.options.embeddingOptimizer).toBe("adam");
  });

  it("refuses invalid options and empty data", async () => {
    await expect(trainNeuMF([], SMALL)).rejects.toThrow(/no interactions/);
    await expect(trainNeuMF(plantedData().train, { epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(trainNeuMF(plantedData().train, { mlpLayers: [] })).rejects.toThrow(/mlpLayers/);
  });
});

describe("trainNeuMF weight averaging and recency weighting", () => {
  beforeAll(async () => {
    await useTensorFlowBackend("wasm");
  });

  it("serves the mean of the averaged epochs' weights", async () => {
    const { train } = plantedData();
    const base = { ...SMALL, recencyBoost: 0 };
    const one = await trainNeuMF(train, { ...base, epochs: 1, averageFromEpoch: 0 });
    const two = await trainNeuMF(train, { ...base, epochs: 2, averageFromEpoch: 0 });
    const averaged = await trainNeuMF(train, { ...base, epochs: 2, averageFromEpoch: 1 });
    const late = await trainNeuMF(train, { ...base, epochs: 2, averageFromEpoch: 5 }); // beyond the last epoch: last epoch only
    expect(late.scorer.weights).toEqual(two.scorer.weights);
    const [a, b, m] = [one, two, averaged].map((t) => t.scorer.weights.mlpUser);
    m!.forEach((v, k) => expect(v).toBeCloseTo((a![k]! + b![k]!) / 2, 6));
    expect(averaged.scorer.weights.outputBias[0]).toBeCloseTo((one.scorer.weights.outputBias[0]! + two.scorer.weights.outputBias[0]!) / 2, 6);
  });

  it("weighs recent positives more: another loss, another model, same seed", async () => {
    const { train } = plantedData();
    const plain = await trainNeuMF(train, { ...SMALL, epochs: 2, recencyBoost: 0 });
    const weighted = await trainNeuMF(train, { ...SMALL, epochs: 2, recencyBoost: 3, recencyHalfLife: 2 });
    expect(weighted.epochs[0]!.loss).not.toBe(plain.epochs[0]!.loss);
    expect(weighted.scorer.weights.gmfUser).not.toEqual(plain.scorer.weights.gmfUser);
  });
});
