// The tests of models/ncf/neumf-scorer.ts. They live beside the trainer because they check the
// serving scorer against the training graph and a tf.LayersModel, and models/ may not import
// offline code (see .dependency-cruiser.cjs).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { NeuMFScorer, type NeuMFShape, topRows } from "../../models/ncf/neumf-scorer.js";
import { neumfTensorSpecs, weightsFromList } from "../../models/ncf/neumf-weights.js";
import { NeuMFGraph } from "./neumf-graph.js";
import { buildNeuMFLayersModel } from "./neumf-layers-model.js";
import { mulberry32 } from "../../models/prng.js";
import { useTensorFlowBackend } from "./tf-backend.js";

// Layer widths exercise every path of the scorer's dense layers (blocks of 8, of 4, single outputs).
const SHAPE: NeuMFShape = { gmfDim: 6, mlpEmbeddingDim: 5, mlpLayers: [12, 9, 4, 3] };
const USERS = 7;
const ITEMS = 23;
const userIds = Array.from({ length: USERS }, (_, u) => `u${u}`);
const itemIds = Array.from({ length: ITEMS }, (_, i) => String(100 + i));

/** Weights of order 1 (unlike a fresh initialisation), so that every layer matters. */
function randomWeights(seed: number) {
  const random = mulberry32(seed);
  const list = neumfTensorSpecs(SHAPE, USERS, ITEMS).map((spec) =>
    Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
  );
  return weightsFromList(list, SHAPE.mlpLayers.length);
}

describe("NeuMFScorer", () => {
  beforeAll(async () => {
    await useTensorFlowBackend("wasm");
  });

  const weights = randomWeights(5);
  const scorer = new NeuMFScorer(userIds, itemIds, weights, SHAPE);
  const pairs = userIds.flatMap((_, u) => itemIds.map((_, i) => [u, i] as const));

  it("matches tf.LayersModel.predict of the same NeuMF to 1e-5 on every user and item", () => {
    const model = buildNeuMFLayersModel(weights, SHAPE, USERS, ITEMS);
    const predicted = tf.tidy(() => {
      const users = tf.tensor2d(pairs.map(([u]) => u), [pairs.length, 1], "int32");
      const items = tf.tensor2d(pairs.map(([, i]) => i), [pairs.length, 1], "int32");
      return (model.predict([users, items]) as tf.Tensor).dataSync();
    });
    model.dispose();
    let spread = 0;
    pairs.forEach(([u, i], k) => {
      const direct = scorer.scoreRows(u, [i])[0]!;
      expect(Math.abs(direct - predicted[k]!)).toBeLessThan(1e-5);
      spread = Math.max(spread, Math.abs(direct - predicted[0]!));
    });
    expect(spread).toBeGreaterThan(0.1); // the scores differ, so the comparison means something
  });

  it("matches the training graph's sigmoid(logits) to 1e-5", () => {
    const graph = new NeuMFGraph(SHAPE, USERS, ITEMS, 1, weights);
    const probabilities = tf.tidy(() =>
      tf.sigmoid(graph.logits(Int32Array.from(pairs, ([u]) => u), Int32Array.from(pairs, ([, i]) => i))).dataSync(),
    );
    graph.dispose();
    pairs.forEach(([u, i], k) => expect(Math.abs(scorer.scoreRows(u, [i])[0]! - probabilities[k]!)).toBeLessThan(1e-5));
  });

  it("scores by id: NaN for unknown items, undefined for unknown users", () => {
    expect(scorer.hasUser("u3")).toBe(true);
    expect(scorer.hasUser("nobody")).toBe(false);
    expect(scorer.hasItem("105")).toBe(true);
    expect(scorer.hasItem("999")).toBe(false);
    const scores = scorer.score("u3", ["105", "999", "100"])!;
    expect(scores[0]).toBeCloseTo(scorer.scoreRows(3, [5])[0]!, 12);
    expect(scores[1]).toBeNaN();
    expect(scores[2]).toBeCloseTo(scorer.scoreRows(3, [0])[0]!, 12);
    expect(scorer.score("nobody", ["105"])).toBeUndefined();
  });

  it("returns the top k over all items, best first, without the excluded ones", () => {
    const all = scorer.scoreRows(2);
    const exclude = [itemIds[0]!, itemIds[7]!, "unknown"];
    const expected = [...all.keys()]
      .filter((i) => i !== 0 && i !== 7)
      .sort((a, b) => all[b]! - all[a]! || a - b)
      .slice(0, 5);
    const top = scorer.topK("u2", 5, exclude);
    expect(top.map((t) => t.productId)).toEqual(expected.map((i) => itemIds[i]));
    expect(top.map((t) => t.score)).toEqual(expected.map((i) => all[i]));
    expect(scorer.topK("u2", 100).length).toBe(ITEMS);
    expect(scorer.topK("nobody", 5)).toEqual([]);
  });

  it("refuses weights that do not fit the shape or id maps", () => {
    expect(() => new NeuMFScorer(userIds.slice(1), itemIds, weights, SHAPE)).toThrow(/gmf_user_embedding/);
    expect(() => new NeuMFScorer(userIds, itemIds, weights, { ...SHAPE, mlpLayers: [12, 9, 4] })).toThrow(/MLP layers/);
    expect(() => new NeuMFScorer(["a", "a", ...userIds.slice(2)], itemIds, weights, SHAPE)).toThrow(/twice/);
  });
});

describe("topRows", () => {
  it("keeps the k best, ties by lower index, skipping -Infinity and NaN", () => {
    expect(topRows([0.5, 0.9, 0.5, Number.NEGATIVE_INFINITY, Number.NaN, 0.7], 3)).toEqual([1, 5, 0]);
    expect(topRows([1, 1, 1], 2)).toEqual([0, 1]);
    expect(topRows([], 3)).toEqual([]);
  });
});
