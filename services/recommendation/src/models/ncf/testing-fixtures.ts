import type { TrainedNeuMF } from "./ncf-types.js";
import { type NeuMFOptions, resolveNeuMFOptions } from "./neumf-options.js";
import { NeuMFScorer } from "./neumf-scorer.js";
import { neumfTensorSpecs, weightsFromList } from "./neumf-weights.js";
import { mulberry32 } from "../prng.js";

/**
 * A small "trained" model with seeded random weights of order 1, for artifact and swap tests
 * (no TensorFlow.js involved).
 *
 * @param seed - weight seed (different seeds give different scores).
 * @param users - user count (ids `u0`, `u1`, …).
 * @param items - item count (ids `1`, `2`, …).
 * @param shape - shape overrides.
 */
export function fakeTrainedNeuMF(seed: number, users = 5, items = 12, shape: Partial<NeuMFOptions> = {}): TrainedNeuMF {
  const options = resolveNeuMFOptions({ gmfDim: 4, mlpEmbeddingDim: 3, mlpLayers: [6, 2], epochs: 1, ...shape });
  const random = mulberry32(seed);
  const list = neumfTensorSpecs(options, users, items).map((spec) =>
    Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
  );
  const userIds = Array.from({ length: users }, (_, u) => `u${u}`);
  const itemIds = Array.from({ length: items }, (_, i) => String(i + 1));
  const scorer = new NeuMFScorer(userIds, itemIds, weightsFromList(list, options.mlpLayers.length), options);
  return {
    scorer,
    options,
    trainingMs: 1234,
    backend: "wasm",
    epochs: [{ epoch: 1, loss: 0.5, samplesPerSecond: 1000, durationMs: 10, validationHr10: 0.7, validationNdcg10: 0.45 }],
    data: { users, items, interactions: users * 3, events: users * 3 + 1, lastEventTimeMs: 1_700_000_000_000 },
  };
}
