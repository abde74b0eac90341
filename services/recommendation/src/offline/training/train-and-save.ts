import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { serviceTokenInterceptor } from "../../../../shared/src/access-control.js";
import { createServiceClient } from "../../../../shared/src/clients.js";
import type { EpochStats, TrainedNeuMF } from "../../models/ncf/ncf-types.js";
import type { NeuMFOptions } from "../../models/ncf/neumf-options.js";
import { loadNewestValidArtifact, ncfArtifactRoot, writeNcfArtifact } from "../../storage/ncf-artifacts/artifact.js";
import { GrpcNcfInteractionSource, type NcfInteractionSource, readNcfInteractions } from "./interaction-source.js";
import { type NcfBackendPreference, useTensorFlowBackend } from "./tf-backend.js";
import { trainNeuMF } from "./train.js";
import { leaveOneOutSplit } from "./validation.js";


/** Validation users held out by default (see {@link TrainAndSaveOptions.validationUsers}). */
export const DEFAULT_VALIDATION_USERS = 200;

/** What {@link trainAndSaveModel} reads, trains and writes. */
export interface TrainAndSaveOptions {
  /** The model directory (MODEL_DIR); the artifact goes to `<modelDir>/ncf/<version>/`. */
  readonly modelDir: string;
  /** Where interactions come from; default: EngagementService.ScanEvents at `engagementServiceAddr`. */
  readonly source?: NcfInteractionSource;
  /** EngagementService `host:port`, when no `source` is given. */
  readonly engagementServiceAddr?: string;
  /** The service token sent on ScanEvents (an internal RPC), when no `source` is given. */
  readonly serviceToken?: string;
  /** Deadline of each ScanEvents call, in ms (default 30000). */
  readonly callTimeoutMs?: number;
  /** Overrides of the NeuMF options (see `DEFAULT_NEUMF_OPTIONS`). */
  readonly training?: Partial<NeuMFOptions>;
  /**
   * Users whose latest interaction is held out for the per-epoch leave-one-out validation (ranked
   * among 99 sampled items; the metrics go to the artifact). Those interactions are not trained
   * on. Default {@link DEFAULT_VALIDATION_USERS}; 0 disables validation.
   */
  readonly validationUsers?: number;
  /** TensorFlow.js backend (default "auto": tfjs-node when it loads, else WASM). */
  readonly backend?: NcfBackendPreference;
  /** Progress: backend, data size, one line per epoch, the artifact written. */
  readonly logger: Logger;
  /** Called once the data is read and the backend chosen, before the first epoch (for a progress display). */
  readonly onStart?: (info: { readonly interactions: number; readonly validationUsers: number; readonly backend: string }) => void;
  /** Called after each epoch (for a progress display). */
  readonly onEpoch?: (stats: EpochStats) => void;
  /** Called during each epoch with the samples trained so far and the epoch's total (see `TrainNeuMFHooks.onProgress`). */
  readonly onProgress?: (epoch: number, samplesDone: number, samplesTotal: number) => void;
}

/** What {@link trainAndSaveModel} did. */
export interface TrainAndSaveResult {
  /** The artifact version written. */
  readonly version: string;
  /** Its directory. */
  readonly dir: string;
  /** The trained model. */
  readonly trained: TrainedNeuMF;
  /** The backend, described. */
  readonly backend: string;
  /** Validation cases used (0 without validation). */
  readonly validationUsers: number;
  /** Phase times, in ms. */
  readonly timings: { readonly readMs: number; readonly trainMs: number; readonly writeMs: number; readonly totalMs: number };
}

/**
 * Trains a NeuMF model on every interaction in the engagement database and writes it as a new
 * artifact version under `<modelDir>/ncf/` (atomically; a running RecommendationService's
 * `NcfArtifactWatcher` picks it up). The entry point of `npm run train` and of `npm start` when no
 * model exists. Logs the backend, the data size and one line per epoch (loss, samples/s,
 * validation HR@10 and NDCG@10).
 *
 * @returns the version, directory, model and timings.
 * @throws Error when there are no interactions to train on or neither `source` nor
 *   `engagementServiceAddr` is given; UnavailableError when EngagementService is down;
 *   the file-system error when the artifact cannot be written.
 */
export async function trainAndSaveModel(options: TrainAndSaveOptions): Promise<TrainAndSaveResult> {
  const { logger } = options;
  const started = performance.now();
  let source = options.source;
  if (!source) {
    if (!options.engagementServiceAddr || !options.serviceToken) {
      throw new Error("trainAndSaveModel needs a source, or an engagementServiceAddr and the serviceToken");
    }
    source = new GrpcNcfInteractionSource(
      createServiceClient(EngagementService, options.engagementServiceAddr, {
        timeoutMs: options.callTimeoutMs ?? 30_000,
        interceptors: [serviceTokenInterceptor(options.serviceToken)],
      }),
    );
  }
  const interactions = await readNcfInteractions(source);
  const readMs = performance.now() - started;
  if (interactions.length === 0) throw new Error("no interactions in the engagement database: nothing to train a NeuMF model on");
  logger.info({ interactions: interactions.length, ms: Math.round(readMs) }, `read ${interactions.length} interactions`);

  const backend = await useTensorFlowBackend(options.backend ?? "auto");
  logger.info({ backend: backend.name }, `training NeuMF on TensorFlow.js backend ${backend.description}`);
  const validationUsers = options.validationUsers ?? DEFAULT_VALIDATION_USERS;
  const split =
    validationUsers > 0
      ? leaveOneOutSplit(interactions, { users: validationUsers, negatives: 99, seed: options.training?.seed ?? 42 })
      : { train: [...interactions], cases: [] };
  options.onStart?.({ interactions: interactions.length, validationUsers: split.cases.length, backend: backend.description });
  const trainStart = performance.now();
  const trained = await trainNeuMF(split.train, options.training, {
    validation: split.cases,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onEpoch: (s) => {
      logger.info(
        { ...s, loss: round(s.loss), samplesPerSecond: Math.round(s.samplesPerSecond), durationMs: Math.round(s.durationMs) },
        `epoch ${s.epoch}: loss ${s.loss.toFixed(4)}, ${Math.round(s.samplesPerSecond)} samples/s, ${(s.durationMs / 1000).toFixed(1)} s` +
          (s.validationHr10 !== undefined ? `, validation HR@10 ${s.validationHr10.toFixed(3)} NDCG@10 ${s.validationNdcg10!.toFixed(3)}` : ""),
      );
      options.onEpoch?.(s);
    },
  });
  const trainMs = performance.now() - trainStart;

  const writeStart = performance.now();
  const { version, dir } = await writeNcfArtifact(ncfArtifactRoot(options.modelDir), trained, { validationUsers: split.cases.length });
  const writeMs = performance.now() - writeStart;
  logger.info({ version, dir, ms: Math.round(writeMs) }, `NCF model ${version} written`);
  return {
    version,
    dir,
    trained,
    backend: backend.description,
    validationUsers: split.cases.length,
    timings: { readMs, trainMs, writeMs, totalMs: performance.now() - started },
  };
}

/**
 * Whether `<modelDir>/ncf` holds a valid NCF artifact (for a start script deciding whether to train).
 *
 * @throws the file-system error when the directory exists but cannot be read.
 */
export async function hasValidNcfArtifact(modelDir: string): Promise<boolean> {
  return (await loadNewestValidArtifact(ncfArtifactRoot(modelDir))).artifact !== undefined;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
