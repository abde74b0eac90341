import type { NeuMFOptions } from "./neumf-options.js";

/**
 * The trained parameters of a NeuMF model as plain row-major Float32Arrays, named and shaped as
 * {@link neumfTensorSpecs} lists them. Dense kernels are `[inputs × outputs]` (TensorFlow's
 * layout: output j of a layer is `bias[j] + Σ_i input[i] × kernel[i × outputs + j]`).
 *
 * The MLP tower's first layer sees `[user embedding; item embedding]` (user first); the
 * prediction layer sees `[GMF vector; last MLP layer]` (GMF first), as in He et al. 2017, eq. 11.
 */
export interface NeuMFWeights {
  /** GMF user embeddings, `[users × gmfDim]`. */
  readonly gmfUser: Float32Array;
  /** GMF item embeddings, `[items × gmfDim]`. */
  readonly gmfItem: Float32Array;
  /** MLP user embeddings, `[users × mlpEmbeddingDim]`. */
  readonly mlpUser: Float32Array;
  /** MLP item embeddings, `[items × mlpEmbeddingDim]`. */
  readonly mlpItem: Float32Array;
  /** MLP layer kernels; layer 0 is `[2·mlpEmbeddingDim × mlpLayers[0]]`, layer l is `[mlpLayers[l-1] × mlpLayers[l]]`. */
  readonly mlpKernels: readonly Float32Array[];
  /** MLP layer biases, `[mlpLayers[l]]`. */
  readonly mlpBiases: readonly Float32Array[];
  /** Prediction layer kernel, `[(gmfDim + last MLP width) × 1]`. */
  readonly outputKernel: Float32Array;
  /** Prediction layer bias, `[1]`. */
  readonly outputBias: Float32Array;
}

/** One named tensor of a NeuMF model: its artifact name and shape. */
export interface NeuMFTensorSpec {
  /** Name in the artifact's weight index, e.g. `gmf_user_embedding`, `mlp_dense_0/kernel`. */
  readonly name: string;
  /** Shape, outermost first. */
  readonly shape: readonly number[];
}

/**
 * The tensors of a NeuMF model with these options and vocabulary sizes, in a fixed order (the
 * order of {@link weightsToList} and of the artifact's weight file).
 *
 * @param options - the shape options (`gmfDim`, `mlpEmbeddingDim`, `mlpLayers`).
 * @param userCount - users in the user id map.
 * @param itemCount - items in the item id map.
 */
export function neumfTensorSpecs(
  options: Pick<NeuMFOptions, "gmfDim" | "mlpEmbeddingDim" | "mlpLayers">,
  userCount: number,
  itemCount: number,
): NeuMFTensorSpec[] {
  const specs: NeuMFTensorSpec[] = [
    { name: "gmf_user_embedding", shape: [userCount, options.gmfDim] },
    { name: "gmf_item_embedding", shape: [itemCount, options.gmfDim] },
    { name: "mlp_user_embedding", shape: [userCount, options.mlpEmbeddingDim] },
    { name: "mlp_item_embedding", shape: [itemCount, options.mlpEmbeddingDim] },
  ];
  let inputs = 2 * options.mlpEmbeddingDim;
  options.mlpLayers.forEach((width, l) => {
    specs.push({ name: `mlp_dense_${l}/kernel`, shape: [inputs, width] }, { name: `mlp_dense_${l}/bias`, shape: [width] });
    inputs = width;
  });
  specs.push({ name: "prediction/kernel", shape: [options.gmfDim + inputs, 1] }, { name: "prediction/bias", shape: [1] });
  return specs;
}

/** The weights as a list in {@link neumfTensorSpecs} order. */
export function weightsToList(weights: NeuMFWeights): Float32Array[] {
  const list = [weights.gmfUser, weights.gmfItem, weights.mlpUser, weights.mlpItem];
  weights.mlpKernels.forEach((kernel, l) => list.push(kernel, weights.mlpBiases[l]!));
  list.push(weights.outputKernel, weights.outputBias);
  return list;
}

/**
 * The inverse of {@link weightsToList}.
 *
 * @param list - arrays in {@link neumfTensorSpecs} order for `layerCount` MLP layers.
 * @param layerCount - number of MLP layers.
 * @throws RangeError when the list has the wrong length.
 */
export function weightsFromList(list: readonly Float32Array[], layerCount: number): NeuMFWeights {
  if (list.length !== 6 + 2 * layerCount) throw new RangeError(`expected ${6 + 2 * layerCount} weight tensors, got ${list.length}`);
  const mlpKernels: Float32Array[] = [];
  const mlpBiases: Float32Array[] = [];
  for (let l = 0; l < layerCount; l++) {
    mlpKernels.push(list[4 + 2 * l]!);
    mlpBiases.push(list[5 + 2 * l]!);
  }
  return {
    gmfUser: list[0]!,
    gmfItem: list[1]!,
    mlpUser: list[2]!,
    mlpItem: list[3]!,
    mlpKernels,
    mlpBiases,
    outputKernel: list[4 + 2 * layerCount]!,
    outputBias: list[5 + 2 * layerCount]!,
  };
}

/**
 * Checks that every array has the size its spec's shape implies.
 *
 * @returns undefined when consistent, else a sentence naming the first mismatch.
 */
export function weightsProblem(
  weights: NeuMFWeights,
  options: Pick<NeuMFOptions, "gmfDim" | "mlpEmbeddingDim" | "mlpLayers">,
  userCount: number,
  itemCount: number,
): string | undefined {
  const specs = neumfTensorSpecs(options, userCount, itemCount);
  if (weights.mlpKernels.length !== options.mlpLayers.length || weights.mlpBiases.length !== options.mlpLayers.length) {
    return `weights have ${weights.mlpKernels.length} MLP layers, options say ${options.mlpLayers.length}`;
  }
  const list = weightsToList(weights);
  for (let t = 0; t < specs.length; t++) {
    const spec = specs[t]!;
    const expected = spec.shape.reduce((a, b) => a * b, 1);
    if (list[t]!.length !== expected) return `tensor ${spec.name} has ${list[t]!.length} values, expected ${expected} for shape [${spec.shape.join(", ")}]`;
  }
  return undefined;
}
