/**
 * `npm run train`: trains the NeuMF collaborative-filtering model on every interaction in the
 * engagement database (EngagementService.ScanEvents) and writes a new artifact version to
 * `<MODEL_DIR>/ncf/<version>/`; a running RecommendationService swaps it in on its next poll.
 * Prints the TensorFlow.js backend, one line per epoch (loss, samples/s, validation HR@10 and
 * NDCG@10 on held-out latest interactions), the artifact and the phase timings.
 *
 * Environment: ENGAGEMENT_SERVICE_ADDR (default 127.0.0.1:50054), MODEL_DIR (default
 * <repo>/.run/dev/models), NCF_BACKEND (auto | tensorflow | wasm | cpu; default auto: tfjs-node
 * when installed, else WASM), LOG_LEVEL (default warn).
 *
 * Options (defaults: DEFAULT_NEUMF_OPTIONS in services/recommendation/src/ncf/neumf-options.ts):
 *   --epochs N  --batch-size N  --learning-rate X  --learning-rate-decay X  --gmf-dim N  --mlp-dim N  --mlp-layers 32,16,8
 *   --negatives N  --l2 X  --recency-boost X  --recency-half-life N  --seed N  --embedding-optimizer lazy-adam|adam
 *   --validation-users N (default 200, 0 = none)  --backend auto|tensorflow|wasm|cpu
 *   --movielens DIR   train from DIR/ratings.csv instead of the engagement service (offline)
 * Exits 1 with the error's message on failure.
 */
import { parseArgs } from "node:util";
import { createLogger } from "../../../../shared/src/logger.js";
import { addressSchema } from "../../../../shared/src/config.js";
import { readMovieLensInteractions } from "../evaluation/interactions.js";
import type { NcfInteractionSource } from "../training/interaction-source.js";
import { NCF_BACKEND_PREFERENCES, type NcfBackendPreference } from "../training/tf-backend.js";
import { DEFAULT_MODEL_DIR, DEFAULT_VALIDATION_USERS, trainAndSaveModel } from "../training/train-and-save.js";
import type { NeuMFOptions } from "../../models/ncf/neumf-options.js";

const usage = `usage: npm run train -- [--epochs N] [--batch-size N] [--learning-rate X] [--learning-rate-decay X] [--gmf-dim N] [--mlp-dim N]
  [--mlp-layers 32,16,8] [--negatives N] [--l2 X] [--recency-boost X] [--recency-half-life N] [--seed N]
  [--embedding-optimizer lazy-adam|adam]
  [--validation-users N] [--backend auto|tensorflow|wasm|cpu] [--movielens DIR]`;

const logger = createLogger("train");
if (!process.env.LOG_LEVEL) logger.level = "warn";

try {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      "learning-rate": { type: "string" },
      "learning-rate-decay": { type: "string" },
      "gmf-dim": { type: "string" },
      "mlp-dim": { type: "string" },
      "mlp-layers": { type: "string" },
      negatives: { type: "string" },
      l2: { type: "string" },
      "recency-boost": { type: "string" },
      "recency-half-life": { type: "string" },
      seed: { type: "string" },
      "embedding-optimizer": { type: "string" },
      "validation-users": { type: "string" },
      backend: { type: "string" },
      movielens: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got "${raw}"`);
    return value;
  };
  const training: Partial<NeuMFOptions> = {
    epochs: number("epochs", values.epochs),
    batchSize: number("batch-size", values["batch-size"]),
    learningRate: number("learning-rate", values["learning-rate"]),
    learningRateDecay: number("learning-rate-decay", values["learning-rate-decay"]),
    gmfDim: number("gmf-dim", values["gmf-dim"]),
    mlpEmbeddingDim: number("mlp-dim", values["mlp-dim"]),
    mlpLayers: values["mlp-layers"]?.split(",").map((w) => number("mlp-layers", w)!),
    negatives: number("negatives", values.negatives),
    l2: number("l2", values.l2),
    recencyBoost: number("recency-boost", values["recency-boost"]),
    recencyHalfLife: number("recency-half-life", values["recency-half-life"]),
    seed: number("seed", values.seed),
    embeddingOptimizer: values["embedding-optimizer"] as NeuMFOptions["embeddingOptimizer"] | undefined,
  };
  const backend = values.backend ?? process.env.NCF_BACKEND ?? "auto";
  if (!NCF_BACKEND_PREFERENCES.includes(backend as NcfBackendPreference)) {
    throw new Error(`backend must be one of ${NCF_BACKEND_PREFERENCES.join(", ")}, got "${backend}"`);
  }
  const modelDir = process.env.MODEL_DIR || DEFAULT_MODEL_DIR;
  let source: NcfInteractionSource | undefined;
  let engagementServiceAddr: string | undefined;
  if (values.movielens) {
    const dir = values.movielens;
    source = { pages: async function* () { yield await readMovieLensInteractions(dir); } };
    console.log(`reading ${dir}/ratings.csv`);
  } else {
    engagementServiceAddr = addressSchema.parse(process.env.ENGAGEMENT_SERVICE_ADDR ?? "127.0.0.1:50054");
    console.log(`reading interactions from EngagementService at ${engagementServiceAddr}`);
  }

  const result = await trainAndSaveModel({
    modelDir,
    source,
    engagementServiceAddr,
    training,
    validationUsers: number("validation-users", values["validation-users"]) ?? DEFAULT_VALIDATION_USERS,
    backend: backend as NcfBackendPreference,
    logger,
    onStart: (info) => {
      console.log(`backend: ${info.backend}`);
      console.log(`${info.interactions} interactions read; latest interaction of ${info.validationUsers} users held out for validation`);
    },
    onEpoch: (s) => {
      const validation = s.validationHr10 === undefined ? "" : `  HR@10 ${s.validationHr10.toFixed(3)}  NDCG@10 ${s.validationNdcg10!.toFixed(3)}`;
      console.log(
        `epoch ${String(s.epoch).padStart(3)}  loss ${s.loss.toFixed(4)}  ${Math.round(s.samplesPerSecond)} samples/s  ${(s.durationMs / 1000).toFixed(1)} s${validation}`,
      );
    },
  });
  const { trained, timings } = result;
  console.log(
    `data: ${trained.data.users} users, ${trained.data.items} items, ${trained.data.interactions} positives ` +
      `(${result.validationUsers} users' latest interaction held out for validation)`,
  );
  console.log(`model ${result.version} written to ${result.dir}`);
  console.log(
    `timings: read ${(timings.readMs / 1000).toFixed(1)} s, train ${(timings.trainMs / 1000).toFixed(1)} s, ` +
      `write ${(timings.writeMs / 1000).toFixed(2)} s, total ${(timings.totalMs / 1000).toFixed(1)} s`,
  );
} catch (err) {
  console.error(`train failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
