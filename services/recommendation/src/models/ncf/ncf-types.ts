/**
 * The model-level types of NeuMF shared by the trainer (offline/training), the artifact store
 * (storage/ncf-artifacts), the evaluation (offline/evaluation) and the scorer's callers: the
 * implicit-feedback interactions a model is trained on, the leave-one-out validation cases, and
 * the trained model with its per-epoch statistics and data counts. Types only, so that storage
 * and serving can name a trained model without importing the trainer.
 */
import type { NeuMFOptions } from "./neumf-options.js";
import type { NeuMFScorer } from "./neumf-scorer.js";

/** One implicit-feedback interaction: every interaction is a positive of its user for its item. */
export interface NcfInteraction {
  /** The user who interacted. */
  readonly userId: string;
  /** The item interacted with. */
  readonly productId: string;
  /** When, in ms since the Unix epoch (used for the data snapshot's last event time and for leave-one-out splits). */
  readonly timestampMs: number;
}

/** What one training epoch did. */
export interface EpochStats {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean log loss over the epoch's samples (positives and negatives). */
  readonly loss: number;
  /** Samples (positives + negatives) trained per second of wall time. */
  readonly samplesPerSecond: number;
  /** Wall time of the epoch's training, in ms (negative sampling and shuffling included, validation excluded). */
  readonly durationMs: number;
  /** Hit ratio at 10 over the validation cases after this epoch, in [0, 1]; absent without validation cases. */
  readonly validationHr10?: number;
  /** NDCG at 10 over the validation cases after this epoch, in [0, 1]; absent without validation cases. */
  readonly validationNdcg10?: number;
}

/**
 * One leave-one-out validation case (He et al. 2017, section 4.1): the held-out item is ranked
 * among the candidates; a hit when fewer than 10 candidates score greater than or equal to it
 * (ties count against it, see `evaluateLeaveOneOut`).
 */
export interface ValidationCase {
  /** The user. */
  readonly userId: string;
  /** The held-out item (not in the training interactions). */
  readonly heldOut: string;
  /** The items to rank it against (typically 99 the user never interacted with); `heldOut` itself is ignored here. */
  readonly candidates: readonly string[];
}

/** Counts describing the data a model was trained on. */
export interface NcfDataSnapshot {
  /** Distinct users (rows of the user embeddings). */
  readonly users: number;
  /** Distinct items (rows of the item embeddings). */
  readonly items: number;
  /** Distinct (user, item) positives trained on. */
  readonly interactions: number;
  /** Interactions given (duplicates of a pair included). */
  readonly events: number;
  /** Latest interaction time, in ms since the Unix epoch (0 without interactions). */
  readonly lastEventTimeMs: number;
}

/** A trained NeuMF model, ready to score and to be saved as an artifact. */
export interface TrainedNeuMF {
  /** Direct TypeScript scorer over the trained weights. */
  readonly scorer: NeuMFScorer;
  /** The complete options it was trained with. */
  readonly options: NeuMFOptions;
  /** Wall time of the whole training (set-up, epochs and validations), in ms. */
  readonly trainingMs: number;
  /** Statistics of every epoch, in order. */
  readonly epochs: readonly EpochStats[];
  /** The TensorFlow.js backend that trained it ("tensorflow", "wasm" or "cpu"). */
  readonly backend: string;
  /** What it was trained on. */
  readonly data: NcfDataSnapshot;
}
