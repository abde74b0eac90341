import * as tf from "@tensorflow/tfjs";
import type { NeuMFShape } from "./neumf-scorer.js";
import { neumfTensorSpecs, type NeuMFWeights, weightsFromList } from "./neumf-weights.js";
import { deriveSeed } from "./prng.js";

/**
 * The trainable NeuMF graph as TensorFlow.js variables and a forward pass written with plain ops
 * (gather, fused matMul + ReLU), in the tensor order of `neumfTensorSpecs`. Initialisation
 * follows the paper's reference implementation (https://github.com/hexiangnan/neural_collaborative_filtering):
 * embeddings N(0, 0.01²), MLP kernels Glorot-uniform, prediction kernel LeCun-uniform, biases 0;
 * every initialiser is seeded from `seed`.
 */
export class NeuMFGraph {
  /** The variables, in `neumfTensorSpecs` order. */
  readonly variables: tf.Variable[];

  /**
   * @param shape - the model's shape options.
   * @param userCount - rows of the user embeddings.
   * @param itemCount - rows of the item embeddings.
   * @param seed - initialisation seed.
   * @param initial - start from these weights instead of a random initialisation.
   */
  constructor(
    readonly shape: NeuMFShape,
    readonly userCount: number,
    readonly itemCount: number,
    seed: number,
    initial?: NeuMFWeights,
  ) {
    const specs = neumfTensorSpecs(shape, userCount, itemCount);
    this.variables = specs.map((spec, t) => {
      const dims = [...spec.shape];
      const value = tf.tidy(() => {
        if (initial) {
          const list = [initial.gmfUser, initial.gmfItem, initial.mlpUser, initial.mlpItem];
          initial.mlpKernels.forEach((k, l) => list.push(k, initial.mlpBiases[l]!));
          list.push(initial.outputKernel, initial.outputBias);
          return tf.tensor(list[t]!, dims, "float32");
        }
        const s = deriveSeed(seed, spec.name);
        if (spec.name.endsWith("_embedding")) return tf.randomNormal(dims, 0, 0.01, "float32", s);
        if (spec.name.endsWith("/bias")) return tf.zeros(dims);
        const [fanIn, fanOut] = dims as [number, number];
        const limit = spec.name === "prediction/kernel" ? Math.sqrt(3 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
        return tf.randomUniform(dims, -limit, limit, "float32", s);
      });
      return tf.variable(value, true, `neumf/${spec.name}/${Math.random().toString(36).slice(2)}`);
    });
  }

  /**
   * Logits (pre-sigmoid scores) of a batch; call inside `tf.tidy` or an optimizer's `minimize`.
   *
   * @param users - user rows, int32 `[batch]`.
   * @param items - item rows, int32 `[batch]`.
   * @returns `[batch]` logits; `sigmoid` gives the predicted interaction probability.
   */
  logits(users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor1D {
    const [gmfUser, gmfItem, mlpUser, mlpItem] = this.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    const gmf = tf.mul(tf.gather(gmfUser, users), tf.gather(gmfItem, items));
    let h: tf.Tensor2D = tf.concat([tf.gather(mlpUser, users), tf.gather(mlpItem, items)], 1) as tf.Tensor2D;
    const layers = this.shape.mlpLayers.length;
    for (let l = 0; l < layers; l++) {
      const kernel = this.variables[4 + 2 * l] as tf.Variable<tf.Rank.R2>;
      const bias = this.variables[5 + 2 * l]!;
      h = tf.fused.matMul({ a: h, b: kernel, bias, activation: "relu" }) as tf.Tensor2D;
    }
    const out = tf.fused.matMul({
      a: tf.concat([gmf, h], 1) as tf.Tensor2D,
      b: this.variables[4 + 2 * layers] as tf.Variable<tf.Rank.R2>,
      bias: this.variables[5 + 2 * layers]!,
    });
    return tf.reshape(out, [-1]);
  }

  /**
   * The embedding rows a batch reads, for an L2 penalty on them: `[gmf user, gmf item, mlp user, mlp item]`.
   */
  batchEmbeddings(users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor2D[] {
    const [gmfUser, gmfItem, mlpUser, mlpItem] = this.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    return [tf.gather(gmfUser, users), tf.gather(gmfItem, items), tf.gather(mlpUser, users), tf.gather(mlpItem, items)] as tf.Tensor2D[];
  }

  /** Copies the current weights out of TensorFlow.js (synchronous read of every variable). */
  readWeights(): NeuMFWeights {
    return weightsFromList(
      this.variables.map((v) => v.dataSync() as Float32Array),
      this.shape.mlpLayers.length,
    );
  }

  /** Releases the variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
