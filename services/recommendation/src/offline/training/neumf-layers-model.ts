import * as tf from "@tensorflow/tfjs";
import type { NeuMFShape } from "../../models/ncf/neumf-scorer.js";
import { type NeuMFWeights, weightsToList } from "../../models/ncf/neumf-weights.js";

/**
 * The same NeuMF as a standard tf.LayersModel (Embedding, Multiply, Concatenate, Dense layers;
 * inputs `user` and `item`, int32 `[batch, 1]`; output `[batch, 1]` probabilities), loaded with
 * the given weights. Not used for serving (see `NeuMFScorer`); it is the reference the direct
 * scorer is tested against, and a way to hand a trained model to TensorFlow.js tooling.
 *
 * @param weights - trained weights.
 * @param shape - their shape options.
 * @param userCount - user rows.
 * @param itemCount - item rows.
 */
export function buildNeuMFLayersModel(weights: NeuMFWeights, shape: NeuMFShape, userCount: number, itemCount: number): tf.LayersModel {
  const user = tf.input({ shape: [1], dtype: "int32", name: "user" });
  const item = tf.input({ shape: [1], dtype: "int32", name: "item" });
  const embed = (name: string, rows: number, dim: number, input: tf.SymbolicTensor): tf.SymbolicTensor =>
    tf.layers.flatten().apply(tf.layers.embedding({ name, inputDim: rows, outputDim: dim, inputLength: 1 }).apply(input)) as tf.SymbolicTensor;
  const gmf = tf.layers
    .multiply()
    .apply([embed("gmf_user_embedding", userCount, shape.gmfDim, user), embed("gmf_item_embedding", itemCount, shape.gmfDim, item)]) as tf.SymbolicTensor;
  let mlp = tf.layers
    .concatenate()
    .apply([
      embed("mlp_user_embedding", userCount, shape.mlpEmbeddingDim, user),
      embed("mlp_item_embedding", itemCount, shape.mlpEmbeddingDim, item),
    ]) as tf.SymbolicTensor;
  shape.mlpLayers.forEach((units, l) => {
    mlp = tf.layers.dense({ name: `mlp_dense_${l}`, units, activation: "relu" }).apply(mlp) as tf.SymbolicTensor;
  });
  const fused = tf.layers.concatenate().apply([gmf, mlp]) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: "prediction", units: 1, activation: "sigmoid" }).apply(fused) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [user, item], outputs: output });

  const list = weightsToList(weights);
  const assign = (layer: string, arrays: Float32Array[]): void => {
    const l = model.getLayer(layer);
    const tensors = l.getWeights().map((w, k) => tf.tensor(arrays[k]!, w.shape, "float32"));
    l.setWeights(tensors);
    tf.dispose(tensors);
  };
  assign("gmf_user_embedding", [list[0]!]);
  assign("gmf_item_embedding", [list[1]!]);
  assign("mlp_user_embedding", [list[2]!]);
  assign("mlp_item_embedding", [list[3]!]);
  shape.mlpLayers.forEach((_, l) => assign(`mlp_dense_${l}`, [list[4 + 2 * l]!, list[5 + 2 * l]!]));
  assign("prediction", [list[4 + 2 * shape.mlpLayers.length]!, list[5 + 2 * shape.mlpLayers.length]!]);
  return model;
}
