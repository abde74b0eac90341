import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { denseLinear, denseRelu, LazyAdam } from "./neumf-graph.js";
import { mulberry32 } from "../../models/prng.js";
import { useTensorFlowBackend } from "./tf-backend.js";

const random = mulberry32(3);
const values = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);

describe("dense layers with explicit-transpose gradients", () => {
  beforeAll(async () => {
    await useTensorFlowBackend("wasm");
  });

  for (const [name, layer, reference] of [
    ["denseRelu", denseRelu, (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.relu(tf.add(tf.matMul(x, w), b))],
    ["denseLinear", denseLinear, (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.add(tf.matMul(x, w), b)],
  ] as const) {
    it(`${name} has TensorFlow.js's value and gradients`, () => {
      const x = tf.tensor2d(values(7 * 5), [7, 5]);
      const w = tf.tensor2d(values(5 * 3), [5, 3]);
      const b = tf.tensor1d(values(3));
      const dy = tf.tensor2d(values(7 * 3), [7, 3]);
      const loss = (f: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), dy));
      const ours = tf.valueAndGrads(loss((xx, ww, bb) => layer(xx, ww, bb)))([x, w, b]);
      const theirs = tf.valueAndGrads(loss(reference))([x, w, b]);
      expect(ours.value.dataSync()[0]).toBeCloseTo(theirs.value.dataSync()[0]!, 5);
      ours.grads.forEach((g, k) => {
        const want = theirs.grads[k]!.dataSync();
        g.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
      });
      tf.dispose([x, w, b, dy, ours.value, theirs.value, ...ours.grads, ...theirs.grads]);
    });
  }
});

describe("LazyAdam", () => {
  it("updates the used rows exactly like Adam with summed duplicate gradients, and leaves the others alone", () => {
    const table = Float32Array.from([1, 2, 3, 4, 5, 6]); // 3 rows × 2
    const adam = new LazyAdam([table], [2], 0.1);
    // Row 1 appears twice: its gradient is the sum [0.5 + 0.25, -1 + 0].
    adam.update([Int32Array.from([1, 1, 2])], [[0.5, -1, 0.25, 0, 2, 2]]);
    // First Adam step: m̂ = g, v̂ = g², so each touched weight moves by −lr·g/(|g| + ε) ≈ −0.1·sign(g).
    const expected = [1, 2, 3 - 0.1, 4 + 0.1, 5 - 0.1, 6 - 0.1];
    table.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // Row 0 was not in the batch: untouched (dense Adam would still move it by its momentum).
    expect(table[0]).toBe(1);
    expect(table[1]).toBe(2);
  });
});
