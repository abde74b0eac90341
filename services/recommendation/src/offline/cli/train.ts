/**
 * `npm run train`: trains the NeuMF collaborative-filtering model on every interaction in the
 * engagement database (EngagementService.ScanEvents) and writes a new artifact version to
 * `<MODEL_DIR>/ncf/<version>/`; a running RecommendationService swaps it in on its next poll.
 * Prints the TensorFlow.js backend, one line per epoch (loss, samples/s, validation HR@10 and
 * NDCG@10 on held-out latest interactions), the artifact and the phase timings.
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
import { backendFromFlag, NEUMF_FLAG_OPTIONS, NEUMF_FLAGS_USAGE, neumfOptionsFromFlags, numberFlag } from "./neumf-flags.js";

const usage = `usage: npm run train -- ${NEUMF_FLAGS_USAGE}
  [--validation-users N] [--movielens DIR]`;

const logger = createLogger("train");
if (!process.env.LOG_LEVEL) logger.level = "warn";

try {
  const { values } = parseArgs({
    options: {
      ...NEUMF_FLAG_OPTIONS,
      "validation-users": { type: "string" },
      movielens: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const training = neumfOptionsFromFlags(values);
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
