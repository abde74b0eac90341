/**
 * `npm run train`: trains the NeuMF collaborative-filtering model on every interaction in the
 * engagement database (EngagementService.ScanEvents) and writes a new artifact version to
 * `<MODEL_DIR>/ncf/<version>/`; a running RecommendationService swaps it in on its next poll.
 * Prints the TensorFlow.js backend, a progress bar per epoch on a terminal that ends with the
 * epoch's loss, samples/s, time and validation HR@10 and NDCG@10 on held-out latest interactions
 * (one such line per epoch when stdout is not a terminal, or with `--progress lines`), the
 * artifact and the phase timings.
 *
 * Environment: ENGAGEMENT_SERVICE_ADDR (default 127.0.0.1:50054), SERVICE_TOKEN (sent on ScanEvents,
 * an internal RPC; the development default when unset), MODEL_DIR (default
 * <repo>/.run/dev/models), NCF_BACKEND (auto | tensorflow | wasm | cpu; default auto: tfjs-node
 * when installed, else WASM), LOG_LEVEL (default warn).
 *
 * Options (defaults: DEFAULT_NEUMF_OPTIONS in services/recommendation/src/models/ncf/neumf-options.ts):
 *   --epochs N  --batch-size N  --learning-rate X  --learning-rate-decay X  --gmf-dim N  --mlp-dim N  --mlp-layers 32,16,8
 *   --negatives N  --l2 X  --recency-boost X  --recency-half-life N  --average-from N  --seed N
 *   --embedding-optimizer lazy-adam|adam  --backend auto|tensorflow|wasm|cpu (see ./neumf-flags.ts)
 *   --validation-users N (default 200, 0 = none)
 *   --movielens DIR   train from DIR/ratings.csv instead of the engagement service (offline)
 *   --progress bars|lines   epoch display (default: bars on a terminal, else lines)
 * Exits 1 with the error's message on failure.
 */
import { parseArgs } from "node:util";
import { DEV_SERVICE_TOKEN } from "../../../../shared/src/access-control.js";
import { createLogger } from "../../../../shared/src/logger.js";
import { addressSchema } from "../../../../shared/src/config.js";
import { readMovieLensInteractions } from "../evaluation/interactions.js";
import type { NcfInteractionSource } from "../training/interaction-source.js";
import { DEFAULT_MODEL_DIR } from "../../storage/ncf-artifacts/model-dir.js";
import { DEFAULT_VALIDATION_USERS, trainAndSaveModel } from "../training/train-and-save.js";
import { DEFAULT_NEUMF_OPTIONS } from "../../models/ncf/neumf-options.js";
import { createEpochProgress, type EpochProgress, type EpochProgressMode } from "./epoch-progress.js";
import { backendFromFlag, NEUMF_FLAG_OPTIONS, NEUMF_FLAGS_USAGE, neumfOptionsFromFlags, numberFlag } from "./neumf-flags.js";

const usage = `usage: npm run train -- ${NEUMF_FLAGS_USAGE}
  [--validation-users N] [--movielens DIR] [--progress bars|lines]`;

const logger = createLogger("train");
if (!process.env.LOG_LEVEL) logger.level = "warn";

try {
  const { values } = parseArgs({
    options: {
      ...NEUMF_FLAG_OPTIONS,
      "validation-users": { type: "string" },
      movielens: { type: "string" },
      progress: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const training = neumfOptionsFromFlags(values);
  if (values.progress !== undefined && values.progress !== "bars" && values.progress !== "lines") {
    throw new Error(`--progress must be bars or lines, got ${values.progress}`);
  }
  let progress: EpochProgress | undefined;
  const backend = backendFromFlag(values.backend, process.env.NCF_BACKEND ?? "auto");
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
    serviceToken: process.env.SERVICE_TOKEN || DEV_SERVICE_TOKEN,
    training,
    validationUsers: numberFlag("validation-users", values["validation-users"]) ?? DEFAULT_VALIDATION_USERS,
    backend,
    logger,
    onStart: (info) => {
      console.log(`backend: ${info.backend}`);
      console.log(`${info.interactions} interactions read; latest interaction of ${info.validationUsers} users held out for validation`);
      progress = createEpochProgress(training.epochs ?? DEFAULT_NEUMF_OPTIONS.epochs, values.progress as EpochProgressMode | undefined);
    },
    onProgress: (epoch, done, total) => progress?.update(epoch, done, total),
    onEpoch: (s) => progress?.finish(s),
  }).finally(() => progress?.stop());
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
