import { healthConfigSchema } from "../../shared/src/dependency-health.js";
import { metricsConfigSchema } from "../../shared/src/metrics.js";
import { z } from "zod";
import { accessControlConfigShape } from "../../shared/src/access-control.js";
import { loadConfig, portSchema } from "../../shared/src/config.js";
import { DEFAULT_CATALOG_TOPIC } from "../../shared/src/catalog-topic.js";
import { kafkaConfigShape } from "../../shared/src/kafka-config.js";

/**
 * ProductService configuration, from environment variables:
 * - `HOST`: interface to listen on (default 127.0.0.1);
 * - `PORT`: gRPC port (default 50052; 0 picks a free one);
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (the gRPC port + 1000: 51052; "off" = none): where
 *   Prometheus metrics are served at `GET /metrics` (`services/shared/src/metrics.ts`).
 * - `HEALTH_CHECK_INTERVAL_MS` (1000) and `HEALTH_CHECK_TIMEOUT_MS` (1000): the `SELECT 1` probe of
 *   the catalog database that readiness follows (`healthConfigSchema` in
 *   services/shared/src/dependency-health.ts);
 * - `DATABASE_URL`: the catalog database (default postgres://recsys:recsys@127.0.0.1:5432/recsys_product);
 * - `DATABASE_POOL_MAX`: largest number of PostgreSQL connections (default 10);
 * - `CATALOG_INDEX_POLL_MS`: how often the catalog version is polled to reload the in-memory catalog
 *   index (GetProduct and ListProducts without a query read it), in ms (default 200; 0 turns the
 *   index off: every read asks the database);
 * - `CATEGORIES_CACHE_MS`: how long ListCategories answers from memory before counting again, in ms
 *   (default 1000; 0 counts on every call; the count is a scan of the catalog);
 * - `KAFKA_BROKERS`, `KAFKA_CATALOG_TOPIC` (catalog-changes, 3 partitions when created) and
 *   `OUTBOX_BATCH_SIZE` / `OUTBOX_POLL_INTERVAL_MS`: where the outbox relay publishes catalog
 *   changes (writes never wait for Kafka: rows wait in the outbox through an outage);
 * - `JWT_SECRET`, `SERVICE_TOKEN`, `AUTH_REQUIRED_FOR_READS`: access control (see
 *   `accessControlConfigShape`); the writes and the internal BatchGetProducts need the service
 *   token; the catalog reads are public;
 * - `LOG_LEVEL` is read by the logger itself.
 */
export const productConfigSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the gRPC server listens on (`0.0.0.0` in a container)."),
  PORT: portSchema.default(50052).describe("gRPC port (0 picks a free one)."),
  ...metricsConfigSchema,
  ...healthConfigSchema,
  DATABASE_URL: z.string().url().default("postgres://recsys:recsys@127.0.0.1:5432/recsys_product").describe("PostgreSQL URL of the catalog database."),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10).describe("Most PostgreSQL connections in the pool."),
  CATEGORIES_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000).describe("How long ListCategories answers from memory before counting again, in ms (0 counts on every call; a count scans the catalog)."),
  CATALOG_INDEX_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(200).describe("How often the catalog version is polled to reload the in-memory catalog index that GetProduct and ListProducts without a query read, in ms (0 turns the index off: every read asks the database)."),
  KAFKA_BROKERS: kafkaConfigShape.KAFKA_BROKERS,
  KAFKA_CATALOG_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name").default(DEFAULT_CATALOG_TOPIC).describe("The topic catalog writes are announced on (one ProductChange per changed product, keyed by product id)."),
  KAFKA_CATALOG_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3).describe("Partitions of the catalog topic when it is created at start-up (an existing topic keeps its own)."),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000).describe("Outbox rows per relay batch (one transaction and one Kafka send)."),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe("How often the outbox relay polls when no notification arrives, in ms."),
  ...accessControlConfigShape,
});

/** The validated ProductService configuration. */
export type ProductConfig = z.infer<typeof productConfigSchema>;

/**
 * Reads the ProductService configuration.
 *
 * @param env - environment (default `process.env`).
 * @throws Error naming every invalid variable.
 */
export function loadProductConfig(env: NodeJS.ProcessEnv = process.env): ProductConfig {
  return loadConfig(productConfigSchema, env);
}
