import { Kafka } from "kafkajs";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import { kafkaLogCreator } from "../../shared/src/kafka-log.js";
import { kafkaProbe, postgresProbe, startDependencyMonitor } from "../../shared/src/dependency-health.js";
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { observePgPool, startConfiguredMetrics } from "../../shared/src/metrics.js";
import { openServiceDatabase } from "../../shared/src/pg.js";
import { enforceSecretPolicy } from "../../shared/src/secret-policy.js";
import { loadConfig } from "./config.js";
import { EventRepository } from "./data/event-repository.js";
import { readEngagementStatus } from "./data/engagement-status-repository.js";
import { ImpressionRepository, startImpressionPruning } from "./data/impression-repository.js";
import { GrpcCatalogLookup } from "./peers/catalog-lookup.js";
import { GrpcUserDirectory } from "../../shared/src/peers/user-directory.js";
import { GrpcTokenRevocation } from "../../shared/src/peers/token-revocation.js";
import { ensureTopicInBackground } from "../../shared/src/outbox/ensure-topic.js";
import { KafkaOutboxPublisher } from "../../shared/src/outbox/kafka-outbox-publisher.js";
import { registerOutboxMetrics } from "../../shared/src/outbox/outbox-metrics.js";
import { OutboxRelay } from "../../shared/src/outbox/outbox-relay.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";
import { EVENT_ID_HEADER } from "./event-message.js";

const logger = createLogger("engagement");

/**
 * Engagement service entry point: reads the configuration, creates the database if needed and
 * migrates it, makes sure the Kafka topic exists (in the background, so a Kafka outage at start-up
 * does not stop the service: events wait in the outbox), starts the outbox relay and the gRPC server, and
 * on SIGTERM stops the server (in-flight calls finish), then the relay (the batch in progress
 * finishes), then the pool. Its gRPC readiness (`""`, `recsys.engagement.v1.EngagementService`) is
 * NOT_SERVING while the engagement database does not answer `SELECT 1`; a Kafka outage does not
 * change it; `liveness` stays SERVING.
 */
runMain(logger, async () => {
  enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger);
  const config = loadConfig();
  // Look-ups call BatchGetProducts, an internal RPC: they carry the service token.
  const asService = [serviceTokenInterceptor(config.SERVICE_TOKEN)];
  const pool = await openServiceDatabase(config.DATABASE_URL, ENGAGEMENT_MIGRATIONS_DIR, logger, { onCreateFailure: "warn" });

  const kafka = new Kafka({
    clientId: "recsys-engagement",
    brokers: config.KAFKA_BROKERS,
    logCreator: kafkaLogCreator(logger),
  });
  // Kafka being down must not keep the service down: events wait in the outbox meanwhile.
  const topic = ensureTopicInBackground(kafka, config.KAFKA_TOPIC, {
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    retentionMs: config.KAFKA_TOPIC_RETENTION_MS,
    logger,
  });

  const relay = new OutboxRelay({
    pool,
    databaseUrl: config.DATABASE_URL,
    publisher: new KafkaOutboxPublisher(kafka, { messageIdHeader: EVENT_ID_HEADER }),
    logger,
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  });
  relay.start();
  observePgPool(pool, "engagement");
  registerOutboxMetrics(relay, pool);
  const metrics = await startConfiguredMetrics(config, config.PORT, logger);

  const impressions = new ImpressionRepository(pool);
  // Impressions older than any click-through window are deleted, so the table stays bounded.
  const stopPruning = startImpressionPruning(impressions, {
    retentionMs: config.IMPRESSION_RETENTION_HOURS * 3_600_000,
    intervalMs: config.IMPRESSION_PRUNE_INTERVAL_MS,
    logger,
  });
  const cache = { cacheSize: config.LOOKUP_CACHE_SIZE, cacheTtlMs: config.LOOKUP_CACHE_TTL_MS };
  // One UserService client, with the service token, for user look-ups and for the revocation check
  // of user tokens (GetTokenState, internal).
  const userClient = createServiceClient(UserService, config.USER_SERVICE_ADDR, { timeoutMs: config.LOOKUP_TIMEOUT_MS, interceptors: asService });
  const server = build({
    logger,
    events: new EventRepository(pool),
    impressions,
    status: () => readEngagementStatus(pool),
    catalog: new GrpcCatalogLookup(
      createServiceClient(ProductService, config.PRODUCT_SERVICE_ADDR, { timeoutMs: config.LOOKUP_TIMEOUT_MS, interceptors: asService }),
      cache,
    ),
    users: new GrpcUserDirectory(userClient, cache),
    topic: config.KAFKA_TOPIC,
    // A user-deletion message lists the deleted events the retained log can still hold.
    deletionHorizonMs: config.KAFKA_TOPIC_RETENTION_MS,
    access: new AccessControl({
      jwtSecret: config.JWT_SECRET,
      serviceToken: config.SERVICE_TOKEN,
      requireAuthForReads: config.AUTH_REQUIRED_FOR_READS,
      // Tokens revoked by a password change are refused within DEFAULT_REVOCATION_CACHE_TTL_MS (5 s).
      isRevoked: new GrpcTokenRevocation(userClient).isRevoked,
    }),
  });
  // Readiness follows the engagement database, which every RPC reads or writes. Kafka is probed for
  // recsys_dependency_up only: RecordEvent never waits for it (the outbox holds events meanwhile).
  const health = await startDependencyMonitor(
    config,
    [
      postgresProbe("postgres", config.DATABASE_URL, { required: true, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, logger }),
      kafkaProbe(
        "kafka",
        { clientId: "recsys-engagement-health", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) },
        { required: false, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS },
      ),
    ],
    logger,
  );
  server.followReadiness(health);
  const port = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port, topic: config.KAFKA_TOPIC }, "engagement service listening");

  return async () => {
    await server.shutdown();
    await stopPruning();
    await health.stop();
    topic.stop();
    await relay.stop();
    await metrics?.close();
    await pool.end();
  };
});
