import { z } from "zod";
import { accessControlConfigShape } from "../../../shared/src/access-control.js";
import { addressSchema, loadConfig, portSchema } from "../../../shared/src/config.js";
import { healthConfigSchema } from "../../../shared/src/dependency-health.js";
import { kafkaConfigShape } from "../../../shared/src/kafka-config.js";
import { metricsConfigSchema } from "../../../shared/src/metrics.js";
import { trendingConfigSchema } from "../storage/trending/trending-config.js";
import { userStateConfigShape } from "../storage/user-state/user-state-config.js";

/** The trending consumer's default metrics port (it has no gRPC port to derive one from). */
export const DEFAULT_CONSUMER_METRICS_PORT = 51551;

/**
 * The trending consumer's default gRPC health port: the recommendation service's default gRPC port
 * + 2000 (`npm start` gives it the same; its metrics are at + 1500).
 */
export const DEFAULT_CONSUMER_HEALTH_PORT = 52051;

/**
 * Environment variables of the trending consumer process (`stream/main.ts`), with defaults for a
 * local `npm start`:
 * - `REDIS_URL` (redis://127.0.0.1:6379): where the trending statistics live.
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (51551, `DEFAULT_CONSUMER_METRICS_PORT`; "off" =
 *   none): where Prometheus metrics (consumer lag per partition, events applied) are served at
 *   `GET /metrics`; each consumer of a group on one host needs its own.
 * - `HEALTH_HOST` (127.0.0.1), `HEALTH_PORT` (52051, `DEFAULT_CONSUMER_HEALTH_PORT`; "off" = none):
 *   where `grpc.health.v1.Health` is served (the consumer serves no other RPC): readiness under `""`
 *   is SERVING while Redis answers `PING`, Kafka answers a metadata request and the process is a
 *   member of the consumer group; `liveness` is SERVING while the process runs. Each consumer on one
 *   host needs its own port.
 * - `HEALTH_CHECK_INTERVAL_MS` (1000) and `HEALTH_CHECK_TIMEOUT_MS` (1000): those probes'
 *   interval and timeout (`healthConfigSchema` in services/shared/src/dependency-health.ts).
 * - `KAFKA_BROKERS` (127.0.0.1:9092, comma-separated), `KAFKA_TOPIC` (engagement-events): see
 *   `kafkaConfigShape` in services/shared/src/kafka-config.ts.
 * - `KAFKA_GROUP_ID` (recsys-trending): the consumer group; every process of the group shares the
 *   topic's partitions.
 * - `KAFKA_MAX_WAIT_MS` (100): longest time a fetch waits for new data, in ms (latency vs. requests).
 * - `KAFKA_TOPIC_WAIT_MS` (60000): how long start-up waits for the topic to exist (the engagement
 *   service creates it), in ms.
 * - `KAFKA_SESSION_TIMEOUT_MS` (10000): how long the group waits for a silent member (a killed
 *   process) before moving its partitions on; bounds the trending stall after a crash.
 * - `TRENDING_APPLY_CHUNK` (1000): most events per Redis round trip (one pipeline of Lua calls).
 * - `TRENDING_COVERAGE_CHECK_MS` (1000): how often the consumer checks that Redis still holds the
 *   statistics of its partitions (a restarted, empty Redis is rebuilt by replaying the Kafka log).
 * - every `TRENDING_*` variable of `trending-config.ts` (τ, prefix, top N, TTLs, weights).
 * - `RECOMMEND_POSITIVE_RATING` (3.5), `RECOMMEND_SEEN_EVENT_TYPES` (rate,like,dislike),
 *   `USER_STATE_MAX_SEEN` (5000), `USER_STATE_MAX_POSITIVES` (200): the rules of the per-user state
 *   the consumer keeps in the same Redis, under `TRENDING_KEY_PREFIX` (see `userStateConfigShape`
 *   in storage/user-state/user-state-config.ts); they must equal the recommendation service's, or
 *   its readers find the state stale and fall back to EngagementService.
 * - `ENGAGEMENT_SERVICE_ADDR` (127.0.0.1:50054): the EngagementService whose ScanEvents rebuilds the
 *   per-user state when it is missing or stale.
 * - `SERVICE_TOKEN` (≥ 32 characters, default the public development token): sent to
 *   EngagementService (ScanEvents is internal); refused in production mode unless set to a real
 *   secret (see `enforceSecretPolicy`).
 * - `USER_STATE_CHECK_MS` (1000, 10 to 600000): how often the consumer checks that the per-user
 *   state is ready (rebuilding it when not), in ms; also the retry interval of a failed rebuild.
 */
export const consumerConfigSchema = trendingConfigSchema.extend({
  ...metricsConfigSchema,
  METRICS_PORT: metricsConfigSchema.METRICS_PORT.describe(
    `Port of the \`GET /metrics\` HTTP server (consumer lag per partition, events applied); default ${DEFAULT_CONSUMER_METRICS_PORT}; \`off\` serves none; each consumer on one host needs its own.`,
  ),
  HEALTH_HOST: z.string().min(1).default("127.0.0.1").describe("Interface of the consumer's gRPC health server (`0.0.0.0` in a container)."),
  HEALTH_PORT: z.union([z.literal("off"), portSchema]).default(DEFAULT_CONSUMER_HEALTH_PORT).describe("Port of `grpc.health.v1.Health` (readiness `\"\"`: group member and Redis and Kafka answer; `liveness`: the process runs); `off` serves none; each consumer on one host needs its own."),
  ...healthConfigSchema,
  REDIS_URL: z.string().startsWith("redis").default("redis://127.0.0.1:6379").describe("Redis URL where the trending statistics and the per-user state live."),
  ...kafkaConfigShape,
  KAFKA_GROUP_ID: z.string().min(1).max(255).default("recsys-trending").describe("The consumer group: every process of the group shares the topic's partitions."),
  KAFKA_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(100).describe("Longest time a fetch waits for new data, in ms (latency against requests)."),
  KAFKA_TOPIC_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000).describe("How long start-up waits for the topic to exist (the engagement service creates it), in ms."),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000).describe("How long the group waits for a silent member (a killed process) before moving its partitions on, in ms; bounds the trending stall after a crash."),
  TRENDING_COVERAGE_CHECK_MS: z.coerce.number().int().min(10).max(600_000).default(1_000).describe("How often the consumer checks that Redis still holds its partitions' statistics (an emptied Redis is rebuilt by replaying Kafka), in ms."),
  TRENDING_APPLY_CHUNK: z.coerce.number().int().min(1).max(10_000).default(1_000).describe("Most events per Redis round trip (one pipeline of Lua calls)."),
  ...userStateConfigShape,
  ENGAGEMENT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50054").describe("EngagementService `host:port`, whose ScanEvents rebuilds the per-user state when it is missing or stale."),
  SERVICE_TOKEN: accessControlConfigShape.SERVICE_TOKEN,
  USER_STATE_CHECK_MS: z.coerce.number().int().min(10).max(600_000).default(1_000).describe("How often the consumer checks that the per-user state is ready (rebuilding it when not), in ms; also the retry interval of a failed rebuild."),
});

/** The validated configuration of the trending consumer (see {@link consumerConfigSchema}). */
export type ConsumerConfig = z.infer<typeof consumerConfigSchema>;

/**
 * Reads the trending consumer's configuration from the environment.
 *
 * @param env - the environment (default `process.env`).
 * @throws Error "invalid configuration: NAME: problem" naming every bad variable.
 */
export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  return loadConfig(consumerConfigSchema, env);
}
