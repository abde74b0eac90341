/**
 * Trending consumer process entry point: reads the configuration, connects Redis and Kafka, and runs
 * the `recsys-trending` consumer group member that applies engagement events to the trending
 * statistics (rebuilding them from the retained log when Redis lost them, see state-loss-replay.ts)
 * and to the per-user state (seen products, recent positives: storage/user-state/, same Redis and
 * prefix), which it rebuilds from EngagementService.ScanEvents when missing or stale
 * (user-state-rebuild.ts); on SIGTERM/SIGINT it stops the rebuild, leaves the group (uncommitted
 * events are redelivered to the next member), then closes Redis.
 *
 * It serves `grpc.health.v1.Health` on HEALTH_PORT (default 52051) and nothing else: readiness
 * (`""`) is SERVING once it is a member of the group and while Redis answers `PING` and Kafka a
 * metadata request, NOT_SERVING otherwise (at start until the group is joined, through an outage
 * until it is over and the group joined again); `liveness` is SERVING while the process runs.
 *
 * In production mode (`NODE_ENV=production`) it refuses to start without a real `SERVICE_TOKEN`
 * (it calls the internal ScanEvents), see `enforceSecretPolicy`.
 *
 * Redis client settings (see `connectTrendingRedis`): no offline queue and one retry per command,
 * because the consumer has its own retry loop that keeps the offsets uncommitted while Redis is
 * down; queueing commands inside ioredis would only hide the outage and grow memory without bound.
 */
import { Kafka } from "kafkajs";
import { EngagementService } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { serviceTokenInterceptor } from "../../../shared/src/access-control.js";
import { createServiceClient } from "../../../shared/src/clients.js";
import { kafkaLogCreator } from "../../../shared/src/kafka-log.js";
import { runMain } from "../../../shared/src/lifecycle.js";
import { createLogger } from "../../../shared/src/logger.js";
import { enforceSecretPolicy } from "../../../shared/src/secret-policy.js";
import { connectTrendingStore } from "../storage/trending/connect-trending-store.js";
import { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import { userStateRules } from "../storage/user-state/user-state-config.js";
import { loadConsumerConfig } from "./consumer-config.js";
import { RedisCoverageMarkers } from "../storage/trending/coverage-markers.js";
import { kafkaLogBounds, StateLossReplay } from "./state-loss-replay.js";
import { createTrendingKafkaConsumer, TrendingConsumer } from "./trending-consumer.js";
import { registerConsumerMetrics } from "./consumer-metrics.js";
import { DEFAULT_CONSUMER_METRICS_PORT } from "./consumer-config.js";
import { kafkaProbe, redisProbe, startDependencyMonitor } from "../../../shared/src/dependency-health.js";
import { createGrpcServer } from "../../../shared/src/grpc-server.js";
import { GroupMembership } from "./group-membership.js";
import { startConfiguredMetrics } from "../../../shared/src/metrics.js";
import { GrpcEventScanner, UserStateRebuild } from "./user-state-rebuild.js";
import { waitForTopic } from "./wait-for-topic.js";
import { RedisUserErasure } from "./user-erasure.js";
import { DeletedUsersSeed } from "./deleted-users-seed.js";

const logger = createLogger("trending-consumer");

runMain(logger, async () => {
  enforceSecretPolicy(["SERVICE_TOKEN"], logger);
  const config = loadConsumerConfig();
  const trending = await connectTrendingStore(config.REDIS_URL, logger, config);
  const userState = new RedisUserStateStore(trending.redis, userStateRules(config), config.TRENDING_KEY_PREFIX);
  // ScanEvents and ListUserDeletions are internal (service token); a page of 5000 events gets the model build's 30 s deadline.
  const engagement = createServiceClient(EngagementService, config.ENGAGEMENT_SERVICE_ADDR, {
    timeoutMs: 30_000,
    interceptors: [serviceTokenInterceptor(config.SERVICE_TOKEN)],
  });
  const rebuild = new UserStateRebuild({
    store: userState,
    scanner: new GrpcEventScanner(engagement),
    logger,
    checkIntervalMs: config.USER_STATE_CHECK_MS,
  });
  const kafka = new Kafka({
    clientId: "recsys-trending-consumer",
    brokers: config.KAFKA_BROKERS,
    logCreator: kafkaLogCreator(logger),
  });
  const kafkaConsumer = createTrendingKafkaConsumer(kafka, {
    groupId: config.KAFKA_GROUP_ID,
    maxWaitTimeInMs: config.KAFKA_MAX_WAIT_MS,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  const logBounds = kafkaLogBounds(kafka);
  const replay = new StateLossReplay({
    consumer: kafkaConsumer,
    topic: config.KAFKA_TOPIC,
    markers: new RedisCoverageMarkers(trending.redis, config.TRENDING_KEY_PREFIX),
    logBounds: logBounds.bounds,
    logger,
    checkIntervalMs: config.TRENDING_COVERAGE_CHECK_MS,
    // Deleted users' tombstones first, so their replayed events are skipped.
    beforeReplay: () =>
      new DeletedUsersSeed({ client: engagement, redis: trending.redis, tombstoneKey: (id) => userState.tombstoneKey(id), ttlSeconds: config.TRENDING_KEY_TTL_SECONDS }).seed(),
  });
  // kafkajs restarts the consumer after retriable failures; after any other it stops consuming for
  // good while the process lives on, so trending would stall unnoticed. Exit instead: the process
  // manager (or orchestrator) starts a new member, which resumes from the committed offsets.
  kafkaConsumer.on(kafkaConsumer.events.CRASH, (e) => {
    if (e.payload.restart) return;
    logger.fatal({ err: e.payload.error?.message }, "trending consumer stopped for good; exiting so that it is restarted");
    process.exit(1);
  });
  const consumer = new TrendingConsumer(kafkaConsumer, trending.store, logger, {
    topic: config.KAFKA_TOPIC,
    chunkSize: config.TRENDING_APPLY_CHUNK,
    replay,
    userState,
    // User-deletion messages: the user's Redis state, cap and dedup entries go, contributions are subtracted.
    erasure: new RedisUserErasure(trending.store, userState),
  });
  const closeMetrics = registerConsumerMetrics({ consumer, kafka, groupId: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC });
  const metrics = await startConfiguredMetrics({ ...config, METRICS_PORT: config.METRICS_PORT ?? DEFAULT_CONSUMER_METRICS_PORT }, 0, logger);
  // Health before the topic wait and the group join, so that an orchestrator sees a live process
  // that is not ready yet instead of a closed port.
  const membership = new GroupMembership(kafkaConsumer, config.KAFKA_GROUP_ID);
  const health = await startDependencyMonitor(
    config,
    [
      redisProbe("redis", trending.redis, true),
      kafkaProbe(
        "kafka",
        { clientId: "recsys-trending-consumer-health", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) },
        { required: true, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS },
      ),
      membership.probe(),
    ],
    logger,
  );
  const healthServer = config.HEALTH_PORT === "off" ? undefined : createGrpcServer({ services: [], logger });
  healthServer?.followReadiness(health);
  const stopHealth = async (): Promise<void> => {
    await healthServer?.shutdown(1_000);
    await health.stop();
  };
  try {
    if (healthServer) {
      const port = await healthServer.listen(config.HEALTH_HOST, config.HEALTH_PORT as number);
      logger.info({ host: config.HEALTH_HOST, port }, "grpc.health.v1.Health listening");
    }
    await waitForTopic(kafka, config.KAFKA_TOPIC, config.KAFKA_TOPIC_WAIT_MS, logger);
    await consumer.start();
    rebuild.start();
  } catch (err) {
    await stopHealth();
    await closeMetrics();
    await metrics?.close();
    await logBounds.close();
    await trending.close();
    throw err;
  }
  logger.info(
    { topic: config.KAFKA_TOPIC, groupId: config.KAFKA_GROUP_ID, tauSeconds: config.TRENDING_TAU_SECONDS },
    "trending consumer running",
  );
  return async () => {
    await stopHealth();
    await rebuild.stop();
    await consumer.stop();
    await closeMetrics();
    await metrics?.close();
    await logBounds.close();
    await trending.close();
  };
});
