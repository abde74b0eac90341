/**
 * Which environment variables each process of the mesh reads, from its config schema (or, for the
 * schema-less one-shot scripts, a list checked against their source), for the tests that hold
 * docker-compose.yml and the Kubernetes manifests to "every variable set is one the process reads".
 */
import type { z } from "zod";
import { engagementConfigSchema } from "../services/engagement/src/config.js";
import { productConfigSchema } from "../services/product/src/config.js";
import { configSchema as recommendationConfigSchema } from "../services/recommendation/src/config.js";
import { trendingConfigSchema } from "../services/recommendation/src/storage/trending/trending-config.js";
import { consumerConfigSchema, DEFAULT_CONSUMER_HEALTH_PORT } from "../services/recommendation/src/stream/consumer-config.js";
import { DEFAULT_RETRAINER_HEALTH_PORT, retrainConfigSchema } from "../services/recommendation/src/offline/retrain/retrain-config.js";
import { loggingConfigSchema } from "../services/shared/src/logger.js";
import { runtimeModeConfigSchema } from "../services/shared/src/secret-policy.js";
import { tracingConfigSchema } from "../services/shared/src/trace-context.js";
import { userConfigSchema } from "../services/user/src/config.js";

/** What every Node process reads besides its own schema (logger, production mode, tracing). */
export const COMMON_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(loggingConfigSchema),
  ...Object.keys(runtimeModeConfigSchema),
  ...Object.keys(tracingConfigSchema),
]);

const keys = (...schemas: z.ZodObject[]): Set<string> => new Set(schemas.flatMap((s) => Object.keys(s.shape)));

/**
 * The gRPC services by the `SERVICE` the image's default command runs: the variables each reads
 * (its schemas, plus SERVICE itself) and its default gRPC port.
 */
export const GRPC_SERVICES: Readonly<Record<string, { readonly reads: ReadonlySet<string>; readonly port: number }>> = {
  product: { reads: keys(productConfigSchema).add("SERVICE"), port: 50052 },
  user: { reads: keys(userConfigSchema).add("SERVICE"), port: 50053 },
  engagement: { reads: keys(engagementConfigSchema).add("SERVICE"), port: 50054 },
  recommendation: { reads: keys(recommendationConfigSchema, trendingConfigSchema).add("SERVICE"), port: 50051 },
};

/** The trending consumer's entry point, the variables it reads and its health port. */
export const CONSUMER = {
  entry: "services/recommendation/src/stream/main.ts",
  reads: keys(consumerConfigSchema) as ReadonlySet<string>,
  healthPort: DEFAULT_CONSUMER_HEALTH_PORT,
} as const;

/** The retrainer's entry point, the variables it reads (its trainings read the same, passed on) and its health port. */
export const RETRAINER = {
  entry: "services/recommendation/src/offline/cli/retrain.ts",
  reads: keys(retrainConfigSchema).add("NCF_BACKEND") as ReadonlySet<string>,
  healthPort: DEFAULT_RETRAINER_HEALTH_PORT,
} as const;

/**
 * The one-shot entry points without a schema, keyed by entry file: the source files that read their
 * environment and the variables they read (each appears there as `env.NAME` or `process.env.NAME`).
 */
export const SCRIPT_READS: Readonly<Record<string, { readonly files: readonly string[]; readonly reads: readonly string[] }>> = {
  "scripts/import-movielens.ts": {
    files: ["scripts/import-movielens.ts", "scripts/movielens-import.ts", "services/shared/src/movielens.ts"],
    reads: ["PRODUCT_DATABASE_URL", "USER_DATABASE_URL", "ENGAGEMENT_DATABASE_URL", "MOVIELENS_DIR", "RECSYS_HOME", "IMPORT_PROGRESS"],
  },
  "services/recommendation/src/offline/cli/train.ts": {
    files: ["services/recommendation/src/offline/cli/train.ts"],
    reads: ["ENGAGEMENT_SERVICE_ADDR", "SERVICE_TOKEN", "MODEL_DIR", "NCF_BACKEND"],
  },
};

/**
 * The variables a container's process reads, told by its `SERVICE` variable (the image's default
 * command) or, failing that, by the entry file its command names.
 *
 * @param service - the value of SERVICE, if set.
 * @param command - the container's command words ([] for the image's default).
 * @returns the variables it reads, {@link COMMON_VARIABLES} not included.
 * @throws Error when neither names a known process.
 */
export function processReads(service: string | undefined, command: readonly string[]): ReadonlySet<string> {
  if (service !== undefined) {
    const grpc = GRPC_SERVICES[service];
    if (!grpc) throw new Error(`SERVICE=${service} is no gRPC service`);
    return grpc.reads;
  }
  const line = command.join(" ");
  if (line.includes(CONSUMER.entry)) return CONSUMER.reads;
  if (line.includes(RETRAINER.entry)) return RETRAINER.reads;
  for (const [entry, script] of Object.entries(SCRIPT_READS)) if (line.includes(entry)) return new Set(script.reads);
  throw new Error(`no known entry point in the command "${line}"`);
}
