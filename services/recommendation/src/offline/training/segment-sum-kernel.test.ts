import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../models/prng.js";
import { unsortedSegmentSumLinear } from "./segment-sum-kernel.js";
import { useTensorFlowBackend } from "./tf-backend.js";

/** The definition, one segment at a time (what the stock kernel computes). */
function reference(x: Float32Array, ids: Int32Array, segments: number, inner: number): Float64Array {
  const out = new Float64Array(segments * inner);
  for (let s = 0; s < segments; s++) {
    for (let r = 0; r < ids.length; r++) if (ids[r] === s) for (let j = 0; j < inner; j++) out[s * inner + j]! += x[r * inner + j]!;
  }
  return out;
}

function randomCase(seed: number, rows: number, inner: number, segments: number): { x: Float32Array; ids: Int32Array } {
  const random = mulberry32(seed);
  const x = Float32Array.from({ length: rows * inner }, () => random() * 2 - 1);
  // Some ids out of range (negative or ≥ segments): TensorFlow drops those rows.
  const ids = Int32Array.from({ length: rows }, () => Math.floor(random() * (segments + 4)) - 2);
  return { x, ids };
}

describe("linear UnsortedSegmentSum", () => {
  afterAll(async () => {
    await useTensorFlowBackend("wasm");
  });

  it("matches the per-segment definition on random inputs", () => {
    for (const [seed, rows, inner, segments] of [
      [1, 100, 3, 7],
      [2, 1000, 16, 50],
      [3, 1, 1, 1],
      [4, 257, 5, 300],
    ] as const) {
      const { x, ids } = randomCase(seed, rows, inner, segments);
      const got = unsortedSegmentSumLinear(x, ids, segments, inner, new Float32Array(segments * inner));
      const want = reference(x, ids, segments, inner);
      for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 5);
    }
  });

  for (const backend of ["wasm", "cpu"] as const) {
    it(`is the kernel of tf.unsortedSegmentSum and of the gather gradient on ${backend}`, async () => {
      const info = await useTensorFlowBackend(backend);
      expect(info.name).toBe(backend);
      const { x, ids } = randomCase(11, 600, 8, 40);
      const inRange = Int32Array.from(ids, (s) => (s < 0 ? 0 : s >= 40 ? 39 : s));
      const want = reference(x, ids, 40, 8);
      const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x, [600, 8]), tf.tensor1d(ids, "int32"), 40).dataSync());
      for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 4);

      // d/dtable Σ gather(table, idx) ⊙ w = segment sum of w by idx: the embedding gradient.
      const wantGrad = reference(x, inRange, 40, 8);
      const grad = tf.tidy(() => {
        const w = tf.tensor2d(x, [600, 8]);
        const idx = tf.tensor1d(inRange, "int32");
        return tf.grad((table: tf.Tensor) => tf.sum(tf.mul(tf.gather(table, idx), w)))(tf.zeros([40, 8])).dataSync();
      });
      for (let k = 0; k < wantGrad.length; k++) expect(grad[k]).toBeCloseTo(wantGrad[k]!, 4);
    });
  }

  it("sums int32 values too", async () => {
    await useTensorFlowBackend("wasm");
    const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32"), tf.tensor1d([1, 1, 0], "int32"), 3));
    expect(got.dtype).toBe("int32");
    expect([...got.dataSync()]).toEqual([5, 6, 4, 6, 0, 0]);
    got.dispose();
  });
});
