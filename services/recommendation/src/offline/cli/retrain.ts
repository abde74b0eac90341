/**
 * The retrainer process (supervised by `npm start` beside the services): trains NeuMF in the
 * background so serving never waits for it. At start, and every RETRAIN_CHECK_MS after, it decides
 * (retrain/retrain-policy.ts) whether to train: at once when MODEL_DIR holds no valid artifact (a
 * fresh machine: the recommendation service serves content, popularity and trending meanwhile),
 * else when RETRAIN_INTERVAL_MS passed since the last training started or RETRAIN_AFTER_EVENTS
 * engagement messages were appended to KAFKA_TOPIC since then. New events are counted from the
 * topic's high watermarks (one admin request, no consumer group to keep), a count of messages,
 * which is the number of accepted events (deletions and redeliveries aside).
 *
 * Each training is `npm run train` (offline/cli/train.ts) as a child process at the lowest CPU
 * priority (RETRAIN_NICE), one at a time; it writes a new artifact atomically, which the
 * recommendation service's watcher swaps in on its next poll ("NeuMF swapped in: <version>", with
 * the load time); versions beyond the newest RETRAIN_KEEP_VERSIONS are deleted after each
 * successful training, so the disk does not fill. A failed
 * training is logged and tried again at the next check; SIGTERM stops the child (an interrupted
 * training leaves no artifact: artifact.ts writes a temporary directory and renames it).
 *
 * gRPC health on HEALTH_PORT (default 52151): readiness `""` and `liveness` SERVING while it runs.
 * Metrics (METRICS_PORT, default 51651): `recsys_retrain_runs_total{outcome}`,
 * `recsys_retrain_last_success_timestamp_seconds`, `recsys_retrain_last_duration_seconds`,
 * `recsys_retrain_events_since_last`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka } from "kafkajs";
import { Counter } from "prom-client";
import { kafkaLogCreator } from "../../../../shared/src/kafka-log.js";
import { runMain } from "../../../../shared/src/lifecycle.js";
import { createLogger } from "../../../../shared/src/logger.js";
import { gaugeFrom, metricsRegistry, startConfiguredMetrics } from "../../../../shared/src/metrics.js";
import { WakeableSleep } from "../../../../shared/src/backoff.js";
import { createGrpcServer } from "../../../../shared/src/grpc-server.js";
import { loadNewestValidArtifact, ncfArtifactRoot, pruneNcfArtifacts } from "../../storage/ncf-artifacts/artifact.js";
import { DEFAULT_RETRAINER_METRICS_PORT, loadRetrainConfig } from "../retrain/retrain-config.js";
import { retrainReason, type RetrainReason } from "../retrain/retrain-policy.js";

const logger = createLogger("retrainer");
const TRAIN_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "train.ts");

runMain(logger, async () => {
  const config = loadRetrainConfig();
  const kafka = new Kafka({ clientId: "recsys-retrainer", brokers: config.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger), retry: { retries: 1 } });
  const runs = new Counter({ name: "recsys_retrain_runs_total", help: "Background NeuMF trainings, by outcome.", labelNames: ["outcome"] as const, registers: [metricsRegistry] });
  let lastSuccessMs: number | undefined;
  let lastDurationMs: number | undefined;
  let eventsSince: number | undefined;
  gaugeFrom("recsys_retrain_last_success_timestamp_seconds", "When the last successful background training ended, in seconds since the epoch.", () => (lastSuccessMs === undefined ? undefined : lastSuccessMs / 1000));
  gaugeFrom("recsys_retrain_last_duration_seconds", "How long the last background training took, in seconds.", () => (lastDurationMs === undefined ? undefined : lastDurationMs / 1000));
  gaugeFrom("recsys_retrain_events_since_last", "Engagement messages appended since the last training started, a count.", () => eventsSince);
  const metrics = await startConfiguredMetrics(config, DEFAULT_RETRAINER_METRICS_PORT - 1000, logger);
  // gRPC health only (no RPCs): SERVING while the process runs, for the supervisors' probes.
  const healthServer = config.HEALTH_PORT === "off" ? undefined : createGrpcServer({ services: [], logger });
  if (healthServer) await healthServer.listen(config.HEALTH_HOST, config.HEALTH_PORT as number);

  /** Σ high watermarks of the engagement topic: messages ever appended (a count), or undefined when Kafka cannot answer. */
  const appended = async (): Promise<number | undefined> => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(config.KAFKA_TOPIC);
      return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } catch {
      return undefined;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  const sleeper = new WakeableSleep();
  let running = true;
  let child: ChildProcess | undefined;
  let baseline = await appended();
  let startedAtMs: number | undefined;
  let hasModel: boolean | undefined;

  const train = async (reason: RetrainReason): Promise<void> => {
    const started = Date.now();
    startedAtMs = started;
    baseline = (await appended()) ?? baseline;
    logger.info({ reason, args: config.RETRAIN_TRAIN_ARGS }, "NeuMF training started in the background");
    const proc = spawn(process.execPath, ["--import", "tsx", TRAIN_ENTRY, ...config.RETRAIN_TRAIN_ARGS], {
      env: { ...process.env, MODEL_DIR: config.MODEL_DIR, ENGAGEMENT_SERVICE_ADDR: config.ENGAGEMENT_SERVICE_ADDR, SERVICE_TOKEN: config.SERVICE_TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    try {
      if (proc.pid !== undefined) os.setPriority(proc.pid, config.RETRAIN_NICE);
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, "cannot lower the training's priority");
    }
    let tail = "";
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        tail = (tail + chunk).slice(-4_000);
        for (const line of chunk.split("\n")) if (line.trim() !== "") logger.info({ training: line.trim() }, "training output");
      });
    }
    const code = await new Promise<number | null>((resolve) => {
      proc.once("error", () => resolve(-1));
      proc.once("exit", (status) => resolve(status));
    });
    child = undefined;
    lastDurationMs = Date.now() - started;
    if (code === 0) {
      lastSuccessMs = Date.now();
      hasModel = true;
      runs.inc({ outcome: "success" });
      logger.info({ reason, ms: lastDurationMs }, "NeuMF training finished; the recommendation service swaps the new model in on its next poll");
      const pruned = await pruneNcfArtifacts(ncfArtifactRoot(config.MODEL_DIR), config.RETRAIN_KEEP_VERSIONS).catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "old NeuMF artifacts could not be deleted");
        return [];
      });
      if (pruned.length > 0) logger.info({ pruned }, `deleted ${pruned.length} old NeuMF artifact version(s)`);
    } else if (running) {
      runs.inc({ outcome: "failure" });
      logger.error({ reason, status: code, ms: lastDurationMs, tail: tail.slice(-1_000) }, "NeuMF training failed; tried again at the next check");
    }
  };

  const loop = (async () => {
    while (running) {
      try {
        // The artifacts on disk are read once (a model trained before this process started counts);
        // after that this process knows what it trained.
        if (hasModel === undefined) {
          const newest = (await loadNewestValidArtifact(ncfArtifactRoot(config.MODEL_DIR))).artifact;
          hasModel = newest !== undefined;
          if (newest) startedAtMs = Date.parse(newest.manifest.createdAt);
        }
        const now = await appended();
        eventsSince = now === undefined || baseline === undefined ? undefined : now - baseline;
        const reason = retrainReason(
          { intervalMs: config.RETRAIN_INTERVAL_MS, afterEvents: config.RETRAIN_AFTER_EVENTS },
          { nowMs: Date.now(), hasModel, lastTrainedAtMs: startedAtMs, eventsSince },
        );
        if (reason) await train(reason);
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, "retrain check failed; trying again at the next check");
      }
      await sleeper.sleep(config.RETRAIN_CHECK_MS);
    }
  })();
  logger.info(
    { modelDir: config.MODEL_DIR, intervalMs: config.RETRAIN_INTERVAL_MS, afterEvents: config.RETRAIN_AFTER_EVENTS, checkMs: config.RETRAIN_CHECK_MS },
    "retrainer started",
  );
  return async () => {
    running = false;
    sleeper.stop();
    child?.kill("SIGTERM");
    await loop;
    await healthServer?.shutdown(1_000);
    await metrics?.close();
  };
});
