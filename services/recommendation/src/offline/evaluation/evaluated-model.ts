import type { ProductText } from "../../models/content/product-text.js";
import type { NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import type { EvaluationData } from "./protocol.js";

/** Scores items for a user; higher is better. */
export interface ItemScorer {
  /**
   * @param user - the user's index in `EvaluationData.userIds`.
   * @param items - item indices into `EvaluationData.itemIds`.
   * @returns one score per item, same order (NaN counts as −∞ in the metrics).
   */
  score(user: number, items: Int32Array): Float64Array | Promise<Float64Array>;
}

/** A model trained on the evaluation's training interactions. */
export interface TrainedModel {
  /** Its scorer. */
  readonly scorer: ItemScorer;
  /** Wall-clock training time in ms (for a blend: the sum of its parts). */
  readonly trainingMs: number;
  /** Epochs trained, for iterative models. */
  readonly epochs?: number;
  /** One line on how it was built (parameters), for the report. */
  readonly notes?: string;
  /** The trained NeuMF itself (NeuMF only), which the served row serves as its collaborative model. */
  readonly neumf?: NeuMFScorer;
}

/** What a model gets to train. */
export interface ModelContext {
  /** The split, indexed. */
  readonly data: EvaluationData;
  /** The catalog's text (for the content model). */
  readonly catalog: readonly ProductText[];
  /** The run's seed (for models with random initialisation). */
  readonly seed: number;
  /** Epochs for iterative models (their default when undefined). */
  readonly epochs?: number | undefined;
  /** Log per-epoch test quality of iterative models (monitoring only; slower). */
  readonly traceEpochs?: boolean | undefined;
  /** Receives progress lines. */
  readonly log: (line: string) => void;
  /** Another model of the run, trained once and shared (for blends). */
  trained(name: string): Promise<TrainedModel>;
}

/** One model the evaluation can run. */
export interface ModelSpec {
  /** Its name on the command line (`--models`), for example "itemknn". */
  readonly name: string;
  /** Its label in the table, for example "item-KNN (cosine)". */
  readonly label: string;
  /** Run only when named in `--models` (variants that add little to the default table). */
  readonly onlyOnRequest?: boolean;
  /** Trains it. */
  train(context: ModelContext): Promise<TrainedModel>;
}

/** Times a synchronous build, in ms. */
export function timed<T>(build: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = build();
  return { value, ms: performance.now() - started };
}
