import { z } from "zod";
import { accessControlConfigShape } from "../../../../shared/src/access-control.js";
import { addressSchema, loadConfig, portSchema } from "../../../../shared/src/config.js";
import { kafkaConfigShape } from "../../../../shared/src/kafka-config.js";
import { metricsConfigSchema } from "../../../../shared/src/metrics.js";
import { DEFAULT_MODEL_DIR } from "../../storage/ncf-artifacts/model-dir.js";
// Types only: this schema is read by scripts (config docs, deployment checks) that must not load TensorFlow.js.
import type { NcfBackendPreference } from "../training/tf-backend.js";

/** The validation users of a training by default (train-and-save.ts `DEFAULT_VALIDATION_USERS`, the same number). */
const DEFAULT_RETRAIN_VALIDATION_USERS = 200;

/**
 * The retrainer's default metrics port: the recommendation service's default gRPC port + 1600
 * (the trending consumer's is + 1500); `npm start` gives it the same.
 */
export const DEFAULT_RETRAINER_METRICS_PORT = 51651;

/**
 * The retrainer's default gRPC health port: the recommendation service's default gRPC port + 2100
 * (the trending consumer's is + 2000); `npm start` gives it the same.
 */
export const DEFAULT_RETRAINER_HEALTH_PORT = 52151;

/**
 * Environment variables of the NeuMF retrainer process (`offline/cli/retrain.ts`), with defaults for
 * a local `npm start`:
 * - `MODEL_DIR` (<repo>/.run/dev/models): where artifacts are written (`<MODEL_DIR>/ncf/<version>/`),
 *   the directory the recommendation service watches.
 * - `ENGAGEMENT_SERVICE_ADDR` (127.0.0.1:50054) and `SERVICE_TOKEN`: the EngagementService whose
 *   ScanEvents (internal) each training reads.
 * - `NCF_BACKEND` (auto): the TensorFlow.js backend (auto: tfjs-node when installed, else WASM).
 * - `RETRAIN_INTERVAL_MS` (21600000 = 6 h; 0 = no schedule): the most time between two trainings.
 * - `RETRAIN_AFTER_EVENTS` (10000; 0 = do not count): train once this many engagement events were
 *   accepted since the last training started (counted from `engagement-events` by the consumer
 *   group `KAFKA_GROUP_ID`, see `EngagementEventCounter`).
 * - `RETRAIN_CHECK_MS` (5000): how often the triggers are checked, in ms.
 * - `RETRAIN_RETRY_MS` (60000): how long after a failed training the next attempt may start, in ms.
 * - `RETRAIN_NICE` (10, 0 to 19): the nice value the process runs at, so serving keeps the cores.
 * - `RETRAIN_EPOCHS` (the NeuMF default), `RETRAIN_VALIDATION_USERS` (200; 0 = none): the training.
 * - `RETRAIN_KEEP_VERSIONS` (5): artifact versions kept; older ones are deleted after each training.
 * - `KAFKA_BROKERS`, `KAFKA_TOPIC`, `KAFKA_GROUP_ID` (recsys-retrainer): where events are counted.
 * - `METRICS_HOST`/`METRICS_PORT` (51651) and `HEALTH_HOST`/`HEALTH_PORT` (52151): metrics and
 *   `grpc.health.v1.Health` (SERVING while the process runs; the retrainer serves no other RPC).
 */
export const retrainConfigSchema = z.object({
  ...metricsConfigSchema,
  METRICS_PORT: metricsConfigSchema.METRICS_PORT.describe(
    `Port of the \`GET /metrics\` HTTP server (last training time and duration, events since, trainings); default ${DEFAULT_RETRAINER_METRICS_PORT}; \`off\` serves none.`,
  ),
  HEALTH_HOST: z.string().min(1).default("127.0.0.1").describe("Interface of the retrainer's gRPC health server (`0.0.0.0` in a container)."),
  HEALTH_PORT: z
    .union([z.literal("off"), portSchema])
    .default(DEFAULT_RETRAINER_HEALTH_PORT)
    .describe("Port of `grpc.health.v1.Health` (readiness `\"\"` and `liveness`: SERVING while the process runs, a training in progress or not); `off` serves none."),
  MODEL_DIR: z.string().min(1).default(DEFAULT_MODEL_DIR).describe("Where the retrainer writes NeuMF artifacts (`<MODEL_DIR>/ncf/<version>/`): the directory the recommendation service watches."),
  ENGAGEMENT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50054").describe("EngagementService `host:port`, whose ScanEvents each training reads."),
  SERVICE_TOKEN: accessControlConfigShape.SERVICE_TOKEN,
  NCF_BACKEND: z
    .enum(["auto", "tensorflow", "wasm", "cpu"] as const satisfies readonly NcfBackendPreference[])
    .default("auto")
    .describe("TensorFlow.js backend of the training: `auto` (tfjs-node when installed, else WASM), `tensorflow`, `wasm` or `cpu`."),
  RETRAIN_INTERVAL_MS: z.coerce.number().int().min(0).max(30 * 86_400_000).default(21_600_000).describe("Most time between two trainings, in ms (default 6 h); 0: no schedule, only the event count (and the first model) triggers one."),
  RETRAIN_AFTER_EVENTS: z.coerce.number().int().min(0).max(1_000_000_000).default(10_000).describe("Train once this many engagement events were accepted since the last training started (counted on `engagement-events` by the `KAFKA_GROUP_ID` group); 0: events are not counted."),
  RETRAIN_CHECK_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000).describe("How often the retrainer checks its triggers (no model, schedule, event count), in ms."),
  RETRAIN_RETRY_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000).describe("How long after a failed training (logged) the next attempt may start, in ms."),
  RETRAIN_NICE: z.coerce.number().int().min(0).max(19).default(10).describe("Nice value of the retrainer's threads (0 to 19; higher is lower priority), so that serving keeps the cores while it trains."),
  RETRAIN_EPOCHS: z.coerce.number().int().min(1).max(1_000).optional().describe("Epochs of each training; default the NeuMF default (`DEFAULT_NEUMF_OPTIONS`, models/ncf/neumf-options.ts)."),
  RETRAIN_VALIDATION_USERS: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_RETRAIN_VALIDATION_USERS).describe("Users whose latest interaction is held out for each training's validation (HR@10, NDCG@10 in the artifact); 0: none."),
  RETRAIN_KEEP_VERSIONS: z.coerce.number().int().min(1).max(1_000).default(5).describe("NeuMF artifact versions kept in `MODEL_DIR`; older ones are deleted after each training."),
  ...kafkaConfigShape,
  KAFKA_GROUP_ID: z.string().min(1).max(255).default("recsys-retrainer").describe("The consumer group that counts engagement events for `RETRAIN_AFTER_EVENTS` (it reads nothing but the count)."),
});

/** The validated configuration of the retrainer (see {@link retrainConfigSchema}). */
export type RetrainConfig = z.infer<typeof retrainConfigSchema>;

/**
 * Reads the retrainer's configuration from the environment.
 *
 * @param env - the environment (default `process.env`).
 * @throws Error "invalid configuration: NAME: problem" naming every bad variable.
 */
export function loadRetrainConfig(env: NodeJS.ProcessEnv = process.env): RetrainConfig {
  return loadConfig(retrainConfigSchema, env);
}
