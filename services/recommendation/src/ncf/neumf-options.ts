/**
 * Hyper-parameters of a NeuMF model and of its training (He et al., "Neural Collaborative
 * Filtering", WWW 2017, https://arxiv.org/abs/1708.05031, section 3.4). The shape fields
 * (`gmfDim`, `mlpEmbeddingDim`, `mlpLayers`) fix the weights' shapes; the others only affect
 * training. Defaults: {@link DEFAULT_NEUMF_OPTIONS}.
 */
export interface NeuMFOptions {
  /** GMF tower: size of the user and item embeddings (the GMF "predictive factors"), ≥ 1. */
  readonly gmfDim: number;
  /**
   * MLP tower: size of the user and of the item embedding (each); the first MLP layer sees
   * their concatenation, 2 × `mlpEmbeddingDim` values. ≥ 1.
   */
  readonly mlpEmbeddingDim: number;
  /**
   * MLP tower: widths of the hidden ReLU layers, first to last (the paper's tower halves the
   * width at each layer, e.g. [32, 16, 8]); at least one layer, each ≥ 1.
   */
  readonly mlpLayers: readonly number[];
  /** Passes over the training data (each pass resamples the negatives), ≥ 1. */
  readonly epochs: number;
  /** Samples (positives and negatives) per Adam step, ≥ 1. */
  readonly batchSize: number;
  /** Adam learning rate (β1 0.9, β2 0.999, ε 1e-7), > 0. */
  readonly learningRate: number;
  /** Negatives sampled per positive, per epoch, uniformly among the items the user never interacted with, ≥ 0. */
  readonly negatives: number;
  /**
   * L2 penalty on the embedding rows used by each batch (λ × sum of squares / batch size added
   * to the log loss); 0 disables it. ≥ 0.
   */
  readonly l2: number;
  /**
   * How the embedding tables learn: "lazy-adam" (each step updates only the rows its batch used,
   * Adam moments included, like TensorFlow's LazyAdamOptimizer: a step costs O(batch), not
   * O(table)) or "adam" (every parameter every step, the paper's setting; slower on large tables).
   * The dense layers always use Adam.
   */
  readonly embeddingOptimizer: "lazy-adam" | "adam";
  /** Seed of every random choice (weight initialisation, negatives, shuffles): same seed and data, same model. */
  readonly seed: number;
}

/**
 * Default NeuMF options, tuned on MovieLens ml-latest-small (610 users, 9,724 items, 100,836
 * ratings) with the paper's leave-one-out protocol (latest interaction per user held out, ranked
 * among 99 sampled items; see bench/ncf-training.ts).
 */
export const DEFAULT_NEUMF_OPTIONS: NeuMFOptions = Object.freeze({
  gmfDim: 16,
  mlpEmbeddingDim: 32,
  mlpLayers: Object.freeze([32, 16, 8]),
  epochs: 20,
  batchSize: 256,
  learningRate: 0.001,
  negatives: 4,
  l2: 0,
  embeddingOptimizer: "lazy-adam",
  seed: 42,
});

/**
 * Fills in the defaults and checks every field.
 *
 * @param options - overrides of {@link DEFAULT_NEUMF_OPTIONS}.
 * @returns the complete options (a fresh, frozen object).
 * @throws RangeError naming the first invalid field.
 */
export function resolveNeuMFOptions(options: Partial<NeuMFOptions> = {}): NeuMFOptions {
  const resolved: NeuMFOptions = { ...DEFAULT_NEUMF_OPTIONS, ...stripUndefined(options) };
  const positiveInt = (name: keyof NeuMFOptions, value: number, min = 1): void => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`NeuMF option ${name} must be an integer ≥ ${min}, got ${value}`);
  };
  positiveInt("gmfDim", resolved.gmfDim);
  positiveInt("mlpEmbeddingDim", resolved.mlpEmbeddingDim);
  if (!Array.isArray(resolved.mlpLayers) || resolved.mlpLayers.length === 0) {
    throw new RangeError("NeuMF option mlpLayers must list at least one layer width");
  }
  for (const width of resolved.mlpLayers) positiveInt("mlpLayers", width);
  positiveInt("epochs", resolved.epochs);
  positiveInt("batchSize", resolved.batchSize);
  positiveInt("negatives", resolved.negatives, 0);
  positiveInt("seed", resolved.seed, 0);
  if (!(resolved.learningRate > 0) || !Number.isFinite(resolved.learningRate)) {
    throw new RangeError(`NeuMF option learningRate must be a finite number > 0, got ${resolved.learningRate}`);
  }
  if (!(resolved.l2 >= 0) || !Number.isFinite(resolved.l2)) throw new RangeError(`NeuMF option l2 must be a finite number ≥ 0, got ${resolved.l2}`);
  if (resolved.embeddingOptimizer !== "lazy-adam" && resolved.embeddingOptimizer !== "adam") {
    throw new RangeError(`NeuMF option embeddingOptimizer must be "lazy-adam" or "adam", got ${JSON.stringify(resolved.embeddingOptimizer)}`);
  }
  return Object.freeze({ ...resolved, mlpLayers: Object.freeze([...resolved.mlpLayers]) });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
