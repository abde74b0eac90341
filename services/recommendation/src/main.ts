/**
 * RecommendationService process entry point: reads the configuration, creates and migrates the
 * recommendation database, loads the latest model snapshot with the live catalog (building and
 * storing a snapshot first when none exists, or always with MODEL_BUILD_ON_START=always), loads
 * the newest NeuMF artifact and watches for newer ones, connects the trending store, serves gRPC
 * and Prometheus metrics (METRICS_PORT), writes the impressions of answered lists to
 * EngagementService in the background (IMPRESSION_*), and on SIGTERM/SIGINT drains calls, writes
 * the impressions still queued (one attempt), then closes connections.
 */
import { Kafka } from "kafkajs";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import { enforceSecretPolicy } from "../../shared/src/secret-policy.js";
import { redisProbe, startDependencyMonitor } from "../../shared/src/dependency-health.js";
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { GrpcUserDirectory } from "../../shared/src/peers/user-directory.js";
import { GrpcTokenRevocation } from "../../shared/src/peers/token-revocation.js";
import { openServiceDatabase } from "../../shared/src/pg.js";
import { GrpcHistorySource } from "./serving/peers/grpc-history-source.js";
import { GrpcProductDirectory } from "./serving/peers/grpc-product-directory.js";
import { loadRecommendationConfig, recommenderSettings } from "./config.js";
import { SnapshotRepository } from "./storage/snapshot-repository.js";
import { RECOMMENDATION_MIGRATIONS_DIR } from "./storage/migrations-dir.js";
import { GrpcCatalogSource, GrpcInteractionSource } from "./offline/model-build/grpc-sources.js";
import { loadOrBuildModels } from "./offline/model-build/model-store.js";
import { CachedTrendingSource } from "./serving/signals/cached-trending-source.js";
import { NcfCollaborativeModel } from "./serving/signals/ncf-collaborative.js";
import { ServingStateHolder } from "./serving/serving-state.js";
import { NcfArtifactWatcher } from "./storage/ncf-artifacts/artifact-watcher.js";
import { ncfArtifactRoot, type LoadedNcfArtifact } from "./storage/ncf-artifacts/artifact.js";
import { retryUntilAvailable } from "../../shared/src/retry-until-available.js";
import { build } from "./serving/server.js";
import { registerCatalogMetrics, registerImpressionMetrics, registerRecommendationMetrics } from "./process-metrics.js";
import { ImpressionBuffer } from "./serving/impressions/impression-buffer.js";
import { GrpcImpressionSink } from "./serving/peers/grpc-impression-sink.js";
import { RecentErrors } from "./serving/serving-status.js";
import { totalGroupLag } from "../../shared/src/kafka-group-lag.js";
import { kafkaLogCreator } from "../../shared/src/kafka-log.js";
import { CatalogChangeConsumer } from "./stream/catalog-change-consumer.js";
import { LiveCatalog } from "./serving/live-catalog.js";
import { followCatalog } from "./serving/follow-catalog.js";
import { observePgPool, startConfiguredMetrics } from "../../shared/src/metrics.js";
import { connectTrendingStore } from "./storage/trending/connect-trending-store.js";
import { loadTrendingConfig } from "./storage/trending/trending-config.js";
import { RedisUserStateStore } from "./storage/user-state/redis-user-state-store.js";
import { userStateRules } from "./storage/user-state/user-state-config.js";
import { HistoryProfileSource } from "./serving/signals/history-profile-source.js";
import { StoredProfileSource } from "./serving/signals/stored-profile-source.js";

const logger = createLogger("recommendation");

runMain(logger, async () => {
  enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger);
  const config = loadRecommendationConfig();
  const pool = await openServiceDatabase(config.DATABASE_URL, RECOMMENDATION_MIGRATIONS_DIR, logger, { max: 4 });
  observePgPool(pool, "recommendation");

  const timeoutMs = config.DEPENDENCY_TIMEOUT_MS;
  // Calls to peers carry the service token: GetUserHistory, ScanEvents and BatchGetProducts are
  // internal RPCs, and GetUser reads an account.
  const asService = [serviceTokenInterceptor(config.SERVICE_TOKEN)];
  // Model building scans every event in pages of 5000, so its calls get a longer deadline.
  const buildTimeoutMs = Math.max(timeoutMs, 30_000);
  // The live catalog: where following catalog-changes will start is recorded before the catalog is
  // read, so no write in between is missed (see CatalogChangeConsumer). Kafka down: serve the
  // catalog as read, and follow (after a full re-read) once it is back.
  const kafka = new Kafka({ clientId: "recsys-recommendation", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) });
  let liveCatalog: LiveCatalog | undefined;
  const catalogChanges = new CatalogChangeConsumer({
    kafka,
    topic: config.KAFKA_CATALOG_TOPIC,
    maxWaitTimeInMs: config.CATALOG_MAX_WAIT_MS,
    sink: { apply: (changes) => liveCatalog?.apply(changes) ?? Promise.resolve() },
    logger,
  });
  await catalogChanges.markStartWithin(5_000).catch((err: unknown) => {
    logger.warn({ err: err instanceof Error ? err.message : String(err), topic: config.KAFKA_CATALOG_TOPIC }, "cannot reach the catalog-changes topic yet; catalog writes are applied once it is reachable");
  });
  const models = await retryUntilAvailable(
    "load models",
    () =>
      loadOrBuildModels(
        {
          catalogSource: new GrpcCatalogSource(
            createServiceClient(ProductService, config.PRODUCT_SERVICE_ADDR, { timeoutMs: buildTimeoutMs, interceptors: asService }),
          ),
          interactionSource: new GrpcInteractionSource(
            createServiceClient(EngagementService, config.ENGAGEMENT_SERVICE_ADDR, { timeoutMs: buildTimeoutMs, interceptors: asService }),
          ),
          repository: new SnapshotRepository(pool),
          logger,
          options: {
            neighborCount: config.MODEL_NEIGHBORS,
            itemNeighborCount: config.MODEL_ITEM_NEIGHBORS,
            maxDocumentFrequency: config.MODEL_MAX_DOCUMENT_FREQUENCY > 0 ? config.MODEL_MAX_DOCUMENT_FREQUENCY : undefined,
          },
        },
        config.MODEL_BUILD_ON_START === "always",
      ),
    config.STARTUP_WAIT_MS,
    logger,
  );

  // NeuMF: the newest valid artifact under MODEL_DIR, swapped for newer ones while running.
  // Each model version's per-user rankings are computed in the background (prewarm), so no request
  // pays for its user's first ranking.
  let collaborative: NcfCollaborativeModel | undefined;
  const prewarm = (artifact: LoadedNcfArtifact | undefined): void => {
    if (!collaborative || !artifact) return;
    const started = Date.now();
    void collaborative.prewarm(artifact).then((users) => {
      logger.info({ version: artifact.version, users, ms: Date.now() - started }, "NeuMF rankings precomputed");
    });
  };
  const ncf = new NcfArtifactWatcher({
    root: ncfArtifactRoot(config.MODEL_DIR),
    pollIntervalMs: config.NCF_POLL_INTERVAL_MS,
    // Large catalogs: an HNSW index over the GMF item embeddings retrieves each user's candidates.
    candidateIndex: { minItems: config.NCF_ANN_MIN_ITEMS, connectivity: config.NCF_ANN_M, expansionSearch: config.NCF_ANN_EF },
    logger,
    onSwap: (artifact) => prewarm(artifact),
  });
  const artifact = await ncf.start();
  collaborative = new NcfCollaborativeModel(ncf, {
    cachedUsers: config.NCF_CACHED_USERS,
    cacheBytes: config.NCF_CACHE_MB * 1024 * 1024,
    candidatePool: config.NCF_ANN_POOL,
  });
  if (!artifact) logger.warn({ modelDir: config.MODEL_DIR }, "no NeuMF artifact yet: serving content, popularity and trending until one is written (the retrainer, or npm run train) and swapped in");

  const trendingConfig = loadTrendingConfig();
  const trending = await connectTrendingStore(config.REDIS_URL, logger, trendingConfig);
  // One UserService client for user look-ups and the revocation check of user tokens (GetTokenState).
  const userClient = createServiceClient(UserService, config.USER_SERVICE_ADDR, { timeoutMs, interceptors: asService });
  const settings = recommenderSettings(config);
  const engagementClient = createServiceClient(EngagementService, config.ENGAGEMENT_SERVICE_ADDR, { timeoutMs, interceptors: asService });
  const history = new GrpcHistorySource(engagementClient);
  // Impressions of answered lists, written in the background (RecordImpressions, internal); the
  // operator's recent errors note failed writes.
  const recentErrors = new RecentErrors();
  const impressions = new ImpressionBuffer({
    sink: new GrpcImpressionSink(engagementClient),
    maxBuffered: config.IMPRESSION_BUFFER_SIZE,
    batchSize: config.IMPRESSION_BATCH_SIZE,
    flushIntervalMs: config.IMPRESSION_FLUSH_INTERVAL_MS,
    logger,
    onFailure: (message) => recentErrors.record("impressions", message),
  });
  impressions.start();
  registerImpressionMetrics(impressions);
  const consumerLag = totalGroupLag(kafka.admin(), config.KAFKA_TRENDING_GROUP_ID, config.KAFKA_TOPIC);
  // Profiles from the per-user state the trending consumer keeps in Redis (one round trip), or
  // from EngagementService's history while that state is not ready.
  const profiles = new StoredProfileSource(
    new RedisUserStateStore(trending.redis, userStateRules(config), trendingConfig.TRENDING_KEY_PREFIX),
    new HistoryProfileSource(history, { ...settings, maxEvents: settings.historyMaxEvents }),
    { maxPositives: settings.maxPositives, cacheSize: config.USER_PROFILE_CACHE_SIZE, timeoutMs: config.USER_STATE_READ_TIMEOUT_MS, logger },
  );
  const state = new ServingStateHolder(models.withCollaborative(collaborative));
  liveCatalog = new LiveCatalog(state, { logger, rebuildAfterChanges: config.CATALOG_REBUILD_AFTER_CHANGES, onApplied: registerCatalogMetrics() });
  const catalogFollower = followCatalog({
    consumer: catalogChanges,
    live: liveCatalog,
    catalogSource: new GrpcCatalogSource(createServiceClient(ProductService, config.PRODUCT_SERVICE_ADDR, { timeoutMs: buildTimeoutMs, interceptors: asService })),
    logger,
  });
  registerRecommendationMetrics(ncf, () => state.current().build, trending.redis);
  const metrics = await startConfiguredMetrics(config, config.PORT, logger);
  const server = build({
    state,
    users: new GrpcUserDirectory(userClient, {
      cacheSize: config.USER_CACHE_SIZE,
      cacheTtlMs: config.USER_CACHE_TTL_MS,
    }),
    history,
    profiles,
    products: new GrpcProductDirectory(createServiceClient(ProductService, config.PRODUCT_SERVICE_ADDR, { timeoutMs, interceptors: asService })),
    access: new AccessControl({
      jwtSecret: config.JWT_SECRET,
      serviceToken: config.SERVICE_TOKEN,
      // PUBLIC_RECOMMENDATION_READS opens GetRecommendations alone, for a demo.
      requireAuthForReads: config.AUTH_REQUIRED_FOR_READS && !config.PUBLIC_RECOMMENDATION_READS,
      // Tokens revoked by a password change are refused within DEFAULT_REVOCATION_CACHE_TTL_MS (5 s).
      isRevoked: new GrpcTokenRevocation(userClient).isRevoked,
    }),
    trending: new CachedTrendingSource(trending.store, { ttlMs: config.TRENDING_TOP_CACHE_MS }),
    settings,
    logger,
    impressions,
    status: {
      model: () => {
        const current = ncf.current;
        if (!current) return undefined;
        const { metrics } = current;
        return {
          version: current.version,
          ...(metrics.validationHr10 !== undefined ? { hr10: metrics.validationHr10 } : {}),
          ...(metrics.validationNdcg10 !== undefined ? { ndcg10: metrics.validationNdcg10 } : {}),
          validationUsers: metrics.validationUsers,
          createdAtMs: Date.parse(current.manifest.createdAt),
        };
      },
      trendingStoreUp: () => trending.redis.status === "ready",
      itemKnnServed: () => config.RECOMMEND_NEUMF_SHARE < 1 && (state.current().snapshot.itemNeighbors?.size ?? 0) > 0,
      engagementLoad: async () => {
        const s = await engagementClient.getEngagementStatus({});
        return { eventsPerSecond: s.eventsPerSecond, outboxPendingRows: Number(s.outboxPendingRows), outboxOldestRowAgeSeconds: s.outboxOldestRowAgeSeconds };
      },
      consumerLag: consumerLag.lag,
      recentErrors,
    },
  });
  // Readiness follows none of this process's servers: once started, GetRecommendations and
  // GetSimilarProducts answer from memory (models, snapshot) and degrade without Redis (no trending
  // signal, listed in unavailable_signals; per-user state read from EngagementService instead), and
  // PostgreSQL is read only at start-up. Taking every replica out of rotation for a Redis outage
  // would turn those degraded answers into none, so Redis is probed for recsys_dependency_up only
  // (GetTrending and GetProductStats answer UNAVAILABLE meanwhile). Peer services have health of their own.
  const health = await startDependencyMonitor(config, [redisProbe("redis", trending.redis, false)], logger);
  server.followReadiness(health);
  const port = await server.listen(config.HOST, config.PORT);
  prewarm(artifact);
  logger.info({ host: config.HOST, port, products: models.catalog.size, buildId: models.build?.id }, "RecommendationService listening");
  return async () => {
    await server.shutdown(10_000);
    await impressions.close();
    await consumerLag.close();
    await catalogFollower.stop();
    await health.stop();
    ncf.stop();
    await metrics?.close();
    await trending.close();
    await pool.end();
  };
});
