/**
 * ProductService process entry point: checks the secrets (refusing the development defaults in
 * production mode), reads the configuration, creates the catalog database if
 * missing, applies migrations, starts the outbox relay that publishes catalog changes to
 * KAFKA_CATALOG_TOPIC (creating the topic in the background), serves gRPC (and Prometheus metrics on METRICS_PORT), and on SIGTERM/SIGINT drains calls then closes the pool.
 * Its gRPC readiness (`""`, `recsys.product.v1.ProductService`) is NOT_SERVING while the catalog
 * database does not answer `SELECT 1`; `liveness` stays SERVING.
 */
import { Kafka } from "kafkajs";
import { AccessControl } from "../../shared/src/access-control.js";
import { PRODUCT_ID_HEADER } from "../../shared/src/catalog-topic.js";
import { kafkaProbe, postgresProbe, startDependencyMonitor } from "../../shared/src/dependency-health.js";
import { kafkaLogCreator } from "../../shared/src/kafka-log.js";
import { ensureTopicInBackground } from "../../shared/src/outbox/ensure-topic.js";
import { KafkaOutboxPublisher } from "../../shared/src/outbox/kafka-outbox-publisher.js";
import { registerOutboxMetrics } from "../../shared/src/outbox/outbox-metrics.js";
import { OutboxRelay } from "../../shared/src/outbox/outbox-relay.js";
import { productChangeMessage } from "./product-message.js";
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
  // Catalog writes are announced through the outbox: Kafka being down never blocks a write.
  const kafka = new Kafka({ clientId: "recsys-product", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) });
  const topic = ensureTopicInBackground(kafka, config.KAFKA_CATALOG_TOPIC, { partitions: config.KAFKA_CATALOG_TOPIC_PARTITIONS, logger });
  const relay = new OutboxRelay({
    pool,
    databaseUrl: config.DATABASE_URL,
    publisher: new KafkaOutboxPublisher(kafka, { messageIdHeader: PRODUCT_ID_HEADER }),
    logger,
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  });
  relay.start();
  registerOutboxMetrics(relay, pool);
  const repository = new ProductRepository(pool, { announce: (product, archived) => productChangeMessage(config.KAFKA_CATALOG_TOPIC, product, archived) });
  const catalogIndex =
    config.CATALOG_INDEX_POLL_MS > 0 ? new CatalogIndexRefresher({ repository, pollIntervalMs: config.CATALOG_INDEX_POLL_MS, logger }) : undefined;
  await catalogIndex?.start();
  const server = build({ repository, access, categoriesCacheMs: config.CATEGORIES_CACHE_MS, ...(catalogIndex ? { catalogIndex } : {}), logger });
  // Readiness follows the catalog database: BatchGetProducts, search and ListCategories need it.
  const health = await startDependencyMonitor(
    config,
    [
      postgresProbe("postgres", config.DATABASE_URL, { required: true, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, logger }),
      // Kafka is in the gauge only: writes wait in the outbox through its outages.
      kafkaProbe(
        "kafka",
        { clientId: "recsys-product-health", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) },
        { required: false, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS },
      ),
    ],
    logger,
  );
  server.followReadiness(health);
  const port = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port }, "ProductService listening");
  return async () => {
    await server.shutdown(10_000);
    await health.stop();
    topic.stop();
    await relay.stop();
    catalogIndex?.stop();
    await metrics?.close();
    await pool.end();
  };
});
