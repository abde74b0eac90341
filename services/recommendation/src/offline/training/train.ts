import { performance } from "node:perf_hooks";
import * as tf from "@tensorflow/tfjs";
import { NegativeSampler } from "./negative-sampler.js";
import { buildNcfDataset } from "./ncf-dataset.js";
import { EMBEDDING_TABLES, LazyAdam, NeuMFGraph } from "./neumf-graph.js";
import type { EpochStats, NcfInteraction, TrainedNeuMF, ValidationCase } from "../../models/ncf/ncf-types.js";
import { type NeuMFOptions, resolveNeuMFOptions } from "../../models/ncf/neumf-options.js";
import { NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import { type NeuMFWeights, weightsFromList, weightsToList } from "../../models/ncf/neumf-weights.js";
import { deriveSeed, mulberry32 } from "../../models/prng.js";
import { ensureTensorFlowBackend } from "./tf-backend.js";
import { evaluateLeaveOneOut } from "./validation.js";

/** Progress and validation hooks of {@link trainNeuMF}. */
export interface TrainNeuMFHooks {
  /** Called after each epoch (and its validation). */
  onEpoch?(stats: EpochStats): void;
  /**
   * Called at every yield to the event loop (every {@link BATCHES_PER_YIELD} batches) and at the end
   * of each epoch's batches, with the samples (positives and negatives) trained so far in this
   * epoch and the epoch's total (for a progress bar).
   */
  onProgress?(epoch: number, samplesDone: number, samplesTotal: number): void;
  /** Leave-one-out cases evaluated after every epoch; their held-out items must not be in the training interactions. */
  validation?: readonly ValidationCase[];
}

/** Batches trained between two yields to the event loop (so timers and I/O keep running during training). */
const BATCHES_PER_YIELD = 25;

/**
 * Trains a NeuMF model (He et al., "Neural Collaborative Filtering", WWW 2017,
 * https://arxiv.org/abs/1708.05031: a GMF tower and an MLP tower over separate user and item
 * embeddings, concatenated and fused by a sigmoid output layer) on implicit feedback with
 * TensorFlow.js: every distinct (user, item) interaction is a positive; each epoch draws
 * `negatives` fresh negatives per positive among the items that user never interacted with,
 * shuffles, and minimises the mean log loss (sigmoid cross-entropy) with Adam in mini-batches.
 *
 * Two optional departures from the paper, on by default (see `DEFAULT_NEUMF_OPTIONS`): recent
 * positives weigh more in the loss (`recencyBoost`), and the weights served are the mean of the
 * last epochs' (`averageFromEpoch`); both off gives the paper's training.
 *
 * Reproducible: initialisation, negatives and shuffles derive from `options.seed`, so the same
 * data, options and backend give the same model. Uses the backend chosen by
 * `useTensorFlowBackend` (or picks one with "auto": tfjs-node, else WASM). Yields to the event
 * loop every few batches. With no validation cases, the epoch stats carry no HR/NDCG.
 *
 * @param interactions - the positives; duplicates of a (user, item) pair count once.
 * @param options - overrides of {@link DEFAULT_NEUMF_OPTIONS}.
 * @param hooks - per-epoch progress and leave-one-out validation.
 * @returns the scorer over the trained weights, the options, timings and per-epoch stats.
 * @throws RangeError for invalid options or no interactions; Error when no backend initialises.
 */
export async function trainNeuMF(
  interactions: readonly NcfInteraction[],
  options?: Partial<NeuMFOptions>,
  hooks?: TrainNeuMFHooks,
): Promise<TrainedNeuMF> {
  const started = performance.now();
  const opts = resolveNeuMFOptions(options);
  const data = buildNcfDataset(interactions);
  const backend = await ensureTensorFlowBackend();
  const userCount = data.userIds.length;
  const itemCount = data.itemIds.length;
  const graph = new NeuMFGraph(opts, userCount, itemCount, opts.seed);
  const step = opts.embeddingOptimizer === "lazy-adam" ? lazyAdamStep(graph, opts) : denseAdamStep(graph, opts);
  const sampler = new NegativeSampler(data.userItems, itemCount);
  const positiveWeights =
    opts.recencyBoost > 0 ? Float32Array.from(data.positiveRecency, (r) => 1 + opts.recencyBoost * 2 ** (-r / opts.recencyHalfLife)) : undefined;
  const epochs: EpochStats[] = [];
  // Running mean of the weights at the end of epochs averageFromEpoch … epochs (when enabled).
  let averaged: Float32Array[] | undefined;
  let averagedCount = 0;
  const currentWeights = (): NeuMFWeights => {
    step.sync();
    const weights = graph.readWeights();
    return averaged ? weightsFromList(averaged, opts.mlpLayers.length) : weights;
  };
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const epochStart = performance.now();
      step.setLearningRate(opts.learningRate * opts.learningRateDecay ** (epoch - 1));
      const random = mulberry32(deriveSeed(opts.seed, `epoch:${epoch}`));
      const samples = sampler.epochSamples(data.positiveUsers, data.positiveItems, opts.negatives, random, positiveWeights);
      const n = samples.labels.length;
      let lossSum = 0;
      let batchIndex = 0;
      for (let from = 0; from < n; from += opts.batchSize) {
        const to = Math.min(n, from + opts.batchSize);
        const weights = samples.weights?.subarray(from, to);
        lossSum += step.run(samples.users.subarray(from, to), samples.items.subarray(from, to), samples.labels.subarray(from, to), weights) * (to - from);
        if (++batchIndex % BATCHES_PER_YIELD === 0) {
          hooks?.onProgress?.(epoch, to, n);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      hooks?.onProgress?.(epoch, n, n);
      const durationMs = performance.now() - epochStart;
      let stats: EpochStats = { epoch, loss: n ? lossSum / n : 0, samplesPerSecond: n / Math.max(durationMs / 1000, 1e-9), durationMs };
      if (opts.averageFromEpoch > 0 && epoch >= Math.min(opts.averageFromEpoch, opts.epochs)) {
        step.sync();
        const list = weightsToList(graph.readWeights());
        averagedCount++;
        if (!averaged) averaged = list.map((w) => Float32Array.from(w));
        else averaged.forEach((avg, t) => {
          const w = list[t]!;
          for (let k = 0; k < avg.length; k++) avg[k]! += (w[k]! - avg[k]!) / averagedCount;
        });
      }
      if (hooks?.validation && hooks.validation.length > 0) {
        const scorer = new NeuMFScorer(data.userIds, data.itemIds, currentWeights(), opts);
        const m = evaluateLeaveOneOut(scorer, hooks.validation, 10);
        stats = { ...stats, validationHr10: m.hr, validationNdcg10: m.ndcg };
      }
      epochs.push(stats);
      hooks?.onEpoch?.(stats);
    }
    const scorer = new NeuMFScorer(data.userIds, data.itemIds, currentWeights(), opts);
    return { scorer, options: opts, trainingMs: performance.now() - started, epochs, backend: backend.name, data: data.snapshot };
  } finally {
    step.dispose();
    graph.dispose();
  }
}

/** One optimisation step over a batch, and the hooks around it. */
interface TrainStep {
  /** Trains on one batch; returns its mean loss. */
  run(users: Int32Array, items: Int32Array, labels: Float32Array, weights: Float32Array | undefined): number;
  /** Sets Adam's learning rate for the next steps. */
  setLearningRate(rate: number): void;
  /** Brings `graph.tables` and `graph.dense` up to date (before reading weights). */
  sync(): void;
  /** Releases TensorFlow.js state. */
  dispose(): void;
}

/** Mean (weighted) log loss of a batch plus the optional L2 penalty on the batch's embedding rows. */
function batchLoss(
  graph: NeuMFGraph,
  rows: readonly tf.Tensor[],
  dense: readonly tf.Tensor[],
  labels: tf.Tensor1D,
  weights: tf.Tensor1D | undefined,
  l2: number,
): tf.Scalar {
  const logLoss = tf.losses.sigmoidCrossEntropy(labels, graph.logitsFrom(rows, dense), weights) as tf.Scalar;
  if (l2 === 0) return logLoss;
  const penalty = tf.addN(rows.map((r) => tf.sum(tf.square(r))));
  return tf.add(logLoss, tf.mul(penalty, l2 / labels.shape[0])) as tf.Scalar;
}

/**
 * "lazy-adam": TensorFlow.js computes the loss gradients of the batch's embedding rows and of the
 * dense layers; the updates run in TypeScript on Float32Arrays ({@link LazyAdam}: only the rows
 * the batch used; the dense weights, small, in full). Fewer WASM kernel calls per step than
 * TensorFlow.js's own Adam (about 80 small ops for the 8 dense tensors).
 */
function lazyAdamStep(graph: NeuMFGraph, opts: NeuMFOptions): TrainStep {
  const embeddingAdam = new LazyAdam(graph.tables, graph.tableDims, opts.learningRate);
  const denseValues = graph.dense.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  const denseShapes = graph.dense.map((v) => v.shape);
  const denseAdam = new LazyAdam(denseValues, denseValues.map((v) => v.length), opts.learningRate);
  const wholeTensor = denseValues.map(() => Int32Array.of(0));
  // Labels and weights reach the loss through these variables, not as arguments: valueAndGrads
  // differentiates with respect to every argument.
  let batchLabels: tf.Tensor1D | undefined;
  let batchWeights: tf.Tensor1D | undefined;
  const lossAndGrads = tf.valueAndGrads((...args: tf.Tensor[]) =>
    batchLoss(graph, args.slice(0, EMBEDDING_TABLES), args.slice(EMBEDDING_TABLES), batchLabels!, batchWeights, opts.l2),
  );
  return {
    run(users, items, labels, weights) {
      const rows = graph.gatherRows(users, items);
      let loss = 0;
      let embeddingGrads: ArrayLike<number>[] = [];
      let denseGrads: ArrayLike<number>[] = [];
      // Results leave the tidy scope through these variables: a typed array returned from
      // tf.tidy would be walked element by element (it looks for tensors to keep).
      tf.tidy(() => {
        const inputs = rows.map((values, t) => tf.tensor2d(values, [users.length, graph.tableDims[t]!]));
        const dense = denseValues.map((values, k) => tf.tensor(values, denseShapes[k]));
        batchLabels = tf.tensor1d(labels, "float32");
        batchWeights = weights && tf.tensor1d(weights, "float32");
        const { value, grads } = lossAndGrads([...inputs, ...dense]);
        embeddingGrads = grads.slice(0, EMBEDDING_TABLES).map((g) => g.dataSync());
        denseGrads = grads.slice(EMBEDDING_TABLES).map((g) => g.dataSync());
        loss = value.dataSync()[0]!;
      });
      // After the tidy: the tensors built from denseValues are gone before those arrays change.
      embeddingAdam.update([users, items, users, items], embeddingGrads);
      denseAdam.update(wholeTensor, denseGrads);
      return loss;
    },
    setLearningRate(rate) {
      embeddingAdam.learningRate = rate;
      denseAdam.learningRate = rate;
    },
    sync() {
      tf.tidy(() => graph.dense.forEach((v, k) => v.assign(tf.tensor(denseValues[k]!, denseShapes[k]))));
    },
    dispose() {},
  };
}

/**
 * "adam": the paper's setting: the embedding tables are TensorFlow.js variables too, looked up
 * with `gather` (whose gradient is a dense unsorted segment sum over each table, see
 * `registerLinearUnsortedSegmentSum`), and Adam updates every parameter at every step.
 */
function denseAdamStep(graph: NeuMFGraph, opts: NeuMFOptions): TrainStep {
  const optimizer = tf.train.adam(opts.learningRate);
  const tables = graph.tables.map((values, t) =>
    tf.variable(tf.tensor2d(values, [values.length / graph.tableDims[t]!, graph.tableDims[t]!]), true, `${graph.dense[0]!.name}/table${t}`),
  );
  return {
    run(users, items, labels, weights) {
      const cost = optimizer.minimize(
        () => {
          const u = tf.tensor1d(users, "int32");
          const i = tf.tensor1d(items, "int32");
          const rows = tables.map((table, t) => tf.gather(table, t % 2 === 0 ? u : i));
          return batchLoss(graph, rows, graph.dense, tf.tensor1d(labels, "float32"), weights && tf.tensor1d(weights, "float32"), opts.l2);
        },
        true,
        [...tables, ...graph.dense],
      )!;
      const loss = cost.dataSync()[0]!;
      cost.dispose();
      return loss;
    },
    setLearningRate(rate) {
      // AdamOptimizer reads its (protected) learningRate at every step.
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
    },
    sync() {
      tables.forEach((table, t) => graph.tables[t]!.set(table.dataSync() as Float32Array));
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(tables);
    },
  };
}
