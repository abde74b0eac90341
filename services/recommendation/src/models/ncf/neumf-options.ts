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
  /** Multiplier of the learning rate after each epoch (epoch e trains at learningRate × decay^(e−1)); 1 keeps it constant. In (0, 1]. */
  readonly learningRateDecay: number;
  /** Negatives sampled per positive, per epoch, uniformly among the items the user never interacted with, ≥ 0. */
  readonly negatives: number;
  /**
   * L2 penalty on the embedding rows used by each batch (λ × sum of squares / batch size added
   * to the log loss); 0 disables it. ≥ 0.
   */
  readonly l2: number;
  /**
   * Extra loss weight of recent positives: a user's interaction that is r-th from their latest
   * (r = 0 for the latest) weighs 1 + recencyBoost × 2^(−r / recencyHalfLife) in the log loss
   * (negatives weigh 1), so the user embedding leans towards current taste, in the spirit of
   * time-weighted collaborative filtering (Ding and Li, CIKM 2005,
   * https://doi.org/10.1145/1099554.1099689). 0 gives the paper's unweighted loss. ≥ 0.
   */
  readonly recencyBoost: number;
  /** Interactions over which the recency boost halves, > 0 (see `recencyBoost`). */
  readonly recencyHalfLife: number;
  /**
   * Serve the mean of the weights at the end of epochs averageFromEpoch … epochs instead of the
   * last epoch's (stochastic weight averaging, Izmailov et al., UAI 2018,
   * https://arxiv.org/abs/1803.05407); 0 serves the last epoch's weights. An integer ≥ 0; a value
   * above `epochs` averages the last epoch only (the same as 0), so shorter runs need no change.
   */
  readonly averageFromEpoch: number;
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
 * ratings) with the paper's leave-one-out protocol (each user's latest interaction held out and
 * ranked among 99 sampled items; `npm run eval` and bench/ncf-training.ts). Training takes about
 * 5 s per epoch on one core of the development machine (WASM backend), so about 1 minute.
 *
 * Tuning record (HR@10 / NDCG@10, all 610 users; one seed ±0.015 on HR):
 * - the paper's setting (GMF 16, MLP 32 → [32, 16, 8], 4 negatives, Adam 0.001, batch 256, no
 *   regularisation) peaks at epochs 4–6 around 0.72 / 0.47 and then overfits (0.70 / 0.47 at 20);
 * - L2 0.001 on the batch's embedding rows: +0.005 NDCG, later peak; L2 0.01 converges too slowly;
 * - 8 negatives instead of 4: +0.01 HR, +0.015 NDCG (12: no better, overfits sooner);
 * - GMF 32 instead of 16, batch 512 with Adam 0.002, a per-epoch learning-rate decay (0.75, 0.8):
 *   no gain;
 * - averaging the weights of epochs 4–10: +0.01 HR, +0.01 NDCG at epoch 10;
 * - recency weighting (boost 2, half-life 10): +0.003 HR, +0.003 NDCG on average, mostly on the
 *   worst seed.
 * With these defaults `npm run eval` (seeds 1, 2, 3) measured 0.744 / 0.491, 0.728 / 0.488,
 * 0.731 / 0.486 (without recency weighting: 0.733 / 0.487, 0.728 / 0.491, 0.733 / 0.476).
 */
export const DEFAULT_NEUMF_OPTIONS: NeuMFOptions = Object.freeze({
  gmfDim: 16,
  mlpEmbeddingDim: 32,
  mlpLayers: Object.freeze([32, 16, 8]),
  epochs: 10,
  batchSize: 256,
  learningRate: 0.001,
  learningRateDecay: 1,
  negatives: 8,
  l2: 0.001,
  recencyBoost: 2,
  recencyHalfLife: 10,
  averageFromEpoch: 4,
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
  positiveInt("averageFromEpoch", resolved.averageFromEpoch, 0);
  if (!(resolved.learningRate > 0) || !Number.isFinite(resolved.learningRate)) {
    throw new RangeError(`NeuMF option learningRate must be a finite number > 0, got ${resolved.learningRate}`);
  }
  if (!(resolved.learningRateDecay > 0 && resolved.learningRateDecay <= 1)) {
    throw new RangeError(`NeuMF option learningRateDecay must be in (0, 1], got ${resolved.learningRateDecay}`);
  }
  if (!(resolved.l2 >= 0) || !Number.isFinite(resolved.l2)) throw new RangeError(`NeuMF option l2 must be a finite number ≥ 0, got ${resolved.l2}`);
  if (!(resolved.recencyBoost >= 0) || !Number.isFinite(resolved.recencyBoost)) {
    throw new RangeError(`NeuMF option recencyBoost must be a finite number ≥ 0, got ${resolved.recencyBoost}`);
  }
  if (!(resolved.recencyHalfLife > 0) || !Number.isFinite(resolved.recencyHalfLife)) {
    throw new RangeError(`NeuMF option recencyHalfLife must be a finite number > 0, got ${resolved.recencyHalfLife}`);
  }
  if (resolved.embeddingOptimizer !== "lazy-adam" && resolved.embeddingOptimizer !== "adam") {
    throw new RangeError(`NeuMF option embeddingOptimizer must be "lazy-adam" or "adam", got ${JSON.stringify(resolved.embeddingOptimizer)}`);
  }
  return Object.freeze({ ...resolved, mlpLayers: Object.freeze([...resolved.mlpLayers]) });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
