/**
 * ProductService process entry point: checks the secrets (refusing the development defaults in
 * production mode), reads the configuration, creates the catalog database if
 * missing, applies migrations, serves gRPC (and Prometheus metrics on METRICS_PORT), and on SIGTERM/SIGINT drains calls then closes the pool.
 * Its gRPC readiness (`""`, `recsys.product.v1.ProductService`) is NOT_SERVING while the catalog
 * database does not answer `SELECT 1`; `liveness` stays SERVING.
 */
import { AccessControl } from "../../shared/src/access-control.js";
import { postgresProbe, startDependencyMonitor } from "../../shared/src/dependency-health.js";
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { observePgPool, startConfiguredMetrics } from "../../shared/src/metrics.js";
import { openServiceDatabase } from "../../shared/src/pg.js";
import { enforceSecretPolicy } from "../../shared/src/secret-policy.js";
import { loadProductConfig } from "./config.js";
import { CatalogIndexRefresher } from "./data/catalog-index.js";
import { ProductRepository } from "./data/product-repository.js";
import { PRODUCT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";

const logger = createLogger("product");

runMain(logger, async () => {
  enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger);
  const config = loadProductConfig();
  const pool = await openServiceDatabase(config.DATABASE_URL, PRODUCT_MIGRATIONS_DIR, logger, { max: config.DATABASE_POOL_MAX });
  observePgPool(pool, "catalog");
  const metrics = await startConfiguredMetrics(config, config.PORT, logger);
  const access = new AccessControl({ jwtSecret: config.JWT_SECRET, serviceToken: config.SERVICE_TOKEN });
  const repository = new ProductRepository(pool);
  const catalogIndex =
    config.CATALOG_INDEX_POLL_MS > 0 ? new CatalogIndexRefresher({ repository, pollIntervalMs: config.CATALOG_INDEX_POLL_MS, logger }) : undefined;
  await catalogIndex?.start();
  const server = build({ repository, access, categoriesCacheMs: config.CATEGORIES_CACHE_MS, ...(catalogIndex ? { catalogIndex } : {}), logger });
  // Readiness follows the catalog database: BatchGetProducts, search and ListCategories need it.
  const health = await startDependencyMonitor(
    config,
    [postgresProbe("postgres", config.DATABASE_URL, { required: true, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, logger })],
    logger,
  );
  server.followReadiness(health);
  const port = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port }, "ProductService listening");
  return async () => {
    await server.shutdown(10_000);
    await health.stop();
    catalogIndex?.stop();
    await metrics?.close();
    await pool.end();
  };
});
