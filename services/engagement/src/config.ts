import { healthConfigSchema } from "../../shared/src/dependency-health.js";
import { metricsConfigSchema } from "../../shared/src/metrics.js";
import { z } from "zod";
import { accessControlConfigShape } from "../../shared/src/access-control.js";
import { addressSchema, loadConfig as loadSharedConfig, portSchema } from "../../shared/src/config.js";
import { kafkaConfigShape } from "../../shared/src/kafka-config.js";
import { DEFAULT_TOPIC_RETENTION_MS } from "../../shared/src/outbox/ensure-topic.js";

/**
 * Environment variables of the engagement service, each with its documented default (the defaults
 * suit a local `npm start`).
 *
 * - `HOST` (127.0.0.1), `PORT` (50054): where the gRPC server listens.
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (the gRPC port + 1000: 51054; "off" = none): where
 *   Prometheus metrics are served at `GET /metrics` (`services/shared/src/metrics.ts`).
 * - `HEALTH_CHECK_INTERVAL_MS` (1000) and `HEALTH_CHECK_TIMEOUT_MS` (1000): the dependency probes
 *   (`healthConfigSchema` in services/shared/src/dependency-health.ts): readiness follows the
 *   engagement database's `SELECT 1`; Kafka's metadata probe only shows in `recsys_dependency_up`
 *   (RecordEvent does not need Kafka: the outbox holds events through an outage).
 * - `DATABASE_URL` (postgres://recsys:recsys@127.0.0.1:5432/recsys_engagement): the engagement database.
 * - `KAFKA_BROKERS` (127.0.0.1:9092, comma-separated), `KAFKA_TOPIC` (engagement-events): see
 *   `kafkaConfigShape` in services/shared/src/kafka-config.ts.
 * - `KAFKA_TOPIC_PARTITIONS` (3): partitions when the topic is created at start-up.
 * - `KAFKA_TOPIC_RETENTION_MS` (604800000 = 7 days; -1 = forever, else at least 60000): the topic's
 *   `retention.ms` when it is created at start-up (an existing topic keeps its own). The trending
 *   consumer rebuilds Redis by replaying what is retained (see docs/architecture.md).
 * - `PRODUCT_SERVICE_ADDR` (127.0.0.1:50052), `USER_SERVICE_ADDR` (127.0.0.1:50053).
 * - `LOOKUP_TIMEOUT_MS` (2000): deadline of each product/user look-up, in ms.
 * - `LOOKUP_CACHE_SIZE` (10000 entries) and `LOOKUP_CACHE_TTL_MS` (60000 ms): the LRU cache of positive
 *   product and user look-ups.
 * - `OUTBOX_BATCH_SIZE` (2000 rows) and `OUTBOX_POLL_INTERVAL_MS` (500 ms): the outbox relay. A
 *   batch is one transaction and one Kafka send; 2000 keeps the relay ahead of ~10,000 events/s on
 *   2 cores (500 fell behind, bench/throughput.ts), and a partition's record batch well under
 *   Kafka's 1 MiB `message.max.bytes` (2000 × ~150 bytes even on a one-partition topic).
 * - `IMPRESSION_RETENTION_HOURS` (48, at least 25: longer than GetClickThroughRates' 24-hour
 *   window): impressions shown longer ago are deleted (every `IMPRESSION_PRUNE_INTERVAL_MS`,
 *   600000), so the table holds about two days of lists whatever the traffic.
 * - `JWT_SECRET`, `SERVICE_TOKEN`, `AUTH_REQUIRED_FOR_READS`: access control (see
 *   `accessControlConfigShape` in services/shared/src/access-control.ts; JWT_SECRET must equal the
 *   UserService's).
 */
export const engagementConfigSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the gRPC server listens on (`0.0.0.0` in a container)."),
  PORT: portSchema.default(50054).describe("gRPC port (0 picks a free one)."),
  ...metricsConfigSchema,
  ...healthConfigSchema,
  DATABASE_URL: z.string().url().default("postgres://recsys:recsys@127.0.0.1:5432/recsys_engagement").describe("PostgreSQL URL of the engagement database (events and the outbox)."),
  ...kafkaConfigShape,
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3).describe("Partitions of the topic when it is created at start-up (an existing topic keeps its own): the most trending consumers of one group that can share the work."),
  KAFKA_TOPIC_RETENTION_MS: z.coerce
    .number()
    .int()
    .refine((ms) => ms === -1 || ms >= 60_000, "must be -1 (keep forever) or at least 60000 ms")
    .default(DEFAULT_TOPIC_RETENTION_MS)
    .describe("`retention.ms` of the topic when it is created at start-up, in ms (604800000 = 7 days; -1 = forever, else at least 60000); the trending consumer rebuilds Redis by replaying what is retained."),
  PRODUCT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50052").describe("ProductService `host:port`, for product look-ups."),
  USER_SERVICE_ADDR: addressSchema.default("127.0.0.1:50053").describe("UserService `host:port`, for user look-ups."),
  LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000).describe("Deadline of each product or user look-up, in ms."),
  LOOKUP_CACHE_SIZE: z.coerce.number().int().min(0).max(10_000_000).default(10_000).describe("Entries of the LRU cache of positive product and user look-ups."),
  LOOKUP_CACHE_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000).describe("How long a cached look-up is kept, in ms."),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(2_000).describe("Outbox rows per relay batch (one transaction and one Kafka send); 2000 keeps the relay ahead of about 10,000 events/s on 2 cores."),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe("How often the outbox relay polls when no notification arrives, in ms."),
  IMPRESSION_RETENTION_HOURS: z.coerce.number().int().min(25).max(87_600).default(48).describe("Impressions (recommendation lists shown) older than this are deleted, in hours; at least 25, since GetClickThroughRates looks back up to 24 hours."),
  IMPRESSION_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000).describe("How often impressions past IMPRESSION_RETENTION_HOURS are deleted, in ms."),
  ...accessControlConfigShape,
});

/** The validated configuration of the engagement service (see {@link engagementConfigSchema}). */
export type EngagementConfig = z.infer<typeof engagementConfigSchema>;

/**
 * Reads the engagement service's configuration from the environment.
 *
 * @param env - the environment (default `process.env`).
 * @throws Error "invalid configuration: NAME: problem" naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngagementConfig {
  return loadSharedConfig(engagementConfigSchema, env);
}
