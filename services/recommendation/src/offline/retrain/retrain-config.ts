import { z } from "zod";
import { DEV_SERVICE_TOKEN } from "../../../../shared/src/access-control.js";
import { addressSchema, loadConfig, portSchema } from "../../../../shared/src/config.js";
import { kafkaConfigShape } from "../../../../shared/src/kafka-config.js";
import { metricsConfigSchema } from "../../../../shared/src/metrics.js";
import { DEFAULT_MODEL_DIR } from "../../storage/ncf-artifacts/model-dir.js";

/** Default metrics port of the retrainer (`METRICS_PORT`): 51651, beside the trending consumer's 51551. */
export const DEFAULT_RETRAINER_METRICS_PORT = 51_651;

/** Default gRPC health port of the retrainer (`HEALTH_PORT`): 52151, beside the trending consumer's 52051. */
export const DEFAULT_RETRAINER_HEALTH_PORT = 52_151;

/**
 * The retrainer's configuration (services/recommendation/src/offline/cli/retrain.ts), from
 * environment variables with documented defaults.
 */
export const retrainConfigSchema = z.object({
  ...metricsConfigSchema,
  HEALTH_HOST: z.string().min(1).default("127.0.0.1").describe("Interface of the retrainer's gRPC health server (`0.0.0.0` in a container)."),
  HEALTH_PORT: z.union([z.literal("off"), portSchema]).default(DEFAULT_RETRAINER_HEALTH_PORT).describe("Port of `grpc.health.v1.Health` (readiness `\"\"` and `liveness`: SERVING while the process runs; a failing training does not change it); `off` serves none."),
  ENGAGEMENT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50054").describe("EngagementService `host:port`, which each training reads every interaction from (ScanEvents)."),
  SERVICE_TOKEN: z.string().min(1).default(DEV_SERVICE_TOKEN).describe("Bearer token sent on ScanEvents (an internal RPC)."),
  MODEL_DIR: z.string().min(1).default(DEFAULT_MODEL_DIR).describe("Where each training writes its NeuMF artifact (`<MODEL_DIR>/ncf/<version>/`); the recommendation service watches it and swaps a new one in."),
  ...kafkaConfigShape,
  RETRAIN_INTERVAL_MS: z.coerce.number().int().min(0).max(30 * 86_400_000).default(6 * 3_600_000).describe("Train again this long after the last training started, in ms (default 6 h; 0 = no schedule)."),
  RETRAIN_AFTER_EVENTS: z.coerce.number().int().min(0).max(1_000_000_000).default(50_000).describe("Train again once this many engagement messages were appended to KAFKA_TOPIC since the last training started, a count (0 = not on events)."),
  RETRAIN_CHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000).describe("How often the triggers are checked, in ms."),
  RETRAIN_TRAIN_ARGS: z
    .string()
    .default("")
    .transform((s) => s.split(/\s+/).filter((a) => a.length > 0))
    .describe("Extra `npm run train` flags for each training, space-separated (for example `--epochs 5`)."),
  RETRAIN_KEEP_VERSIONS: z.coerce.number().int().min(1).max(1_000).default(5).describe("NeuMF artifact versions kept in MODEL_DIR; older ones are deleted after each successful training."),
  RETRAIN_NICE: z.coerce.number().int().min(0).max(19).default(19).describe("Scheduling niceness of each training process (19 = lowest priority), so serving keeps the cores."),
});

/** The validated retrainer configuration. */
export type RetrainConfig = z.infer<typeof retrainConfigSchema>;

/**
 * Reads the retrainer's configuration.
 *
 * @param env - environment (default `process.env`).
 * @throws Error naming every invalid variable.
 */
export function loadRetrainConfig(env: NodeJS.ProcessEnv = process.env): RetrainConfig {
  return loadConfig(retrainConfigSchema, env);
}
