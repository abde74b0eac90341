import { healthConfigSchema } from "../../shared/src/dependency-health.js";
import { metricsConfigSchema } from "../../shared/src/metrics.js";
import { z } from "zod";
import { accessControlConfigShape } from "../../shared/src/access-control.js";
import { loadConfig, portSchema } from "../../shared/src/config.js";

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
 * - `JWT_SECRET`, `SERVICE_TOKEN`, `AUTH_REQUIRED_FOR_READS`: access control (see
 *   `accessControlConfigShape`); only the internal RPC, BatchGetProducts, checks a token (the
 *   service token); the catalog reads are public;
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
