/**
 * The NeuMF retrainer process: trains NeuMF in the background, in a process of its own beside the
 * RPC server and the trending consumer, so that serving never waits for a training. It trains at
 * start when `<MODEL_DIR>/ncf` holds no valid artifact (the first `npm start`), then whenever
 * `RETRAIN_INTERVAL_MS` passed or `RETRAIN_AFTER_EVENTS` engagement events were accepted since the
 * last training started (see `retrainReason`), one training at a time, each with
 * `trainAndSaveModel` as `npm run train` does (EngagementService.ScanEvents → a new artifact
 * version, written atomically). Every recommendation replica watching MODEL_DIR swaps the new
 * version in ("NeuMF swapped in" in its log); until then it serves the model it has, or content,
 * popularity and trending without one.
 *
 * It runs at nice `RETRAIN_NICE` (every thread, see `lowerProcessPriority`), serves
 * `grpc.health.v1.Health` on HEALTH_PORT (SERVING while it runs) and metrics on METRICS_PORT
 * (`registerRetrainMetrics`). A failed training is logged and retried after `RETRAIN_RETRY_MS`. On
 * SIGTERM/SIGINT a training in progress is abandoned at its next yield to the event loop (within a
 * fraction of a second) before anything is written; an artifact being written is finished first,
 * and a version is published by one rename, so no half-written artifact is ever visible. Old
 * versions beyond `RETRAIN_KEEP_VERSIONS` are deleted after each training. Configuration:
 * `retrainConfigSchema` (offline/retrain/retrain-config.ts).
 *
 * In production mode (`NODE_ENV=production`) it refuses to start without a real `SERVICE_TOKEN`
 * (it calls the internal ScanEvents), see `enforceSecretPolicy`.
 */
import { Kafka } from "kafkajs";
import { kafkaLogCreator } from "../../../../shared/src/kafka-log.js";
import { createGrpcServer } from "../../../../shared/src/grpc-server.js";
import { runMain } from "../../../../shared/src/lifecycle.js";
import { createLogger } from "../../../../shared/src/logger.js";
import { startConfiguredMetrics } from "../../../../shared/src/metrics.js";
import { enforceSecretPolicy } from "../../../../shared/src/secret-policy.js";
import { loadNewestValidArtifact, ncfArtifactRoot, pruneNcfArtifacts } from "../../storage/ncf-artifacts/artifact.js";
import { EngagementEventCounter } from "../retrain/engagement-event-counter.js";
import { lowerProcessPriority } from "../retrain/process-priority.js";
import { DEFAULT_RETRAINER_METRICS_PORT, loadRetrainConfig } from "../retrain/retrain-config.js";
import { registerRetrainMetrics } from "../retrain/retrain-metrics.js";
import { Retrainer } from "../retrain/retrainer.js";
import { trainAndSaveModel } from "../training/train-and-save.js";

const logger = createLogger("retrainer");

/** How long the event counter waits for the engagement-events topic at start, in ms. */
const TOPIC_WAIT_MS = 120_000;

runMain(logger, async () => {
  enforceSecretPolicy(["SERVICE_TOKEN"], logger);
  const config = loadRetrainConfig();
  lowerProcessPriority(config.RETRAIN_NICE, logger);
  const root = ncfArtifactRoot(config.MODEL_DIR);
  const { artifact } = await loadNewestValidArtifact(root);
  if (artifact) logger.info({ version: artifact.version, createdAt: artifact.manifest.createdAt }, "newest NeuMF artifact found");
  else logger.info({ modelDir: config.MODEL_DIR }, "no NeuMF artifact yet: training one now");

  const kafka = new Kafka({ clientId: "recsys-retrainer", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) });
  const counter =
    config.RETRAIN_AFTER_EVENTS > 0
      ? new EngagementEventCounter(kafka, { groupId: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC, topicWaitMs: TOPIC_WAIT_MS, logger })
      : undefined;
  const retrainer = new Retrainer({
    policy: { intervalMs: config.RETRAIN_INTERVAL_MS, afterEvents: config.RETRAIN_AFTER_EVENTS, retryMs: config.RETRAIN_RETRY_MS },
    checkIntervalMs: config.RETRAIN_CHECK_MS,
    ...(artifact ? { initialModel: { version: artifact.version, trainedAt: Date.parse(artifact.manifest.createdAt) } } : {}),
    ...(counter ? { events: counter } : {}),
    logger,
    train: async (signal) => {
      const result = await trainAndSaveModel({
        modelDir: config.MODEL_DIR,
        engagementServiceAddr: config.ENGAGEMENT_SERVICE_ADDR,
        serviceToken: config.SERVICE_TOKEN,
        training: config.RETRAIN_EPOCHS === undefined ? {} : { epochs: config.RETRAIN_EPOCHS },
        validationUsers: config.RETRAIN_VALIDATION_USERS,
        backend: config.NCF_BACKEND,
        logger,
        signal,
      });
      const pruned = await pruneNcfArtifacts(root, config.RETRAIN_KEEP_VERSIONS).catch((err: unknown) => {
        logger.warn({ err }, "old NeuMF artifacts could not be deleted");
        return [];
      });
      if (pruned.length > 0) logger.info({ pruned }, `deleted ${pruned.length} old NeuMF artifact(s)`);
      return { version: result.version };
    },
  });
  registerRetrainMetrics(() => retrainer.status);
  const metrics = await startConfiguredMetrics({ ...config, METRICS_PORT: config.METRICS_PORT ?? DEFAULT_RETRAINER_METRICS_PORT }, 0, logger);
  const healthServer = config.HEALTH_PORT === "off" ? undefined : createGrpcServer({ services: [], logger });
  if (healthServer) {
    const port = await healthServer.listen(config.HEALTH_HOST, config.HEALTH_PORT as number);
    logger.info({ host: config.HEALTH_HOST, port }, "grpc.health.v1.Health listening");
  }
  retrainer.start();
  // Counting is optional: without Kafka the schedule (and the first model) still trigger trainings.
  void counter?.start().catch((err: unknown) => {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "engagement events cannot be counted; RETRAIN_AFTER_EVENTS is not applied");
  });
  logger.info(
    { intervalMs: config.RETRAIN_INTERVAL_MS, afterEvents: config.RETRAIN_AFTER_EVENTS, modelDir: config.MODEL_DIR },
    "retrainer running",
  );
  return async () => {
    await healthServer?.shutdown(1_000);
    await retrainer.stop();
    await counter?.stop();
    await metrics?.close();
  };
});
