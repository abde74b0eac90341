import type { Redis } from "ioredis";
import { Counter, Gauge, Histogram } from "prom-client";
import { counterFrom, gaugeFrom, metricsRegistry } from "../../shared/src/metrics.js";
import type { ImpressionBuffer } from "./serving/impressions/impression-buffer.js";
import type { ModelBuildInfo } from "./models/snapshot.js";
import type { LiveCatalogOptions } from "./serving/live-catalog.js";
import type { NcfArtifactWatcher } from "./storage/ncf-artifacts/artifact-watcher.js";

/**
 * Registers the recommendation service's own Prometheus metrics, read at each scrape:
 * - `recsys_ncf_model_info{version}` 1 for the NeuMF artifact being served (absent while none is);
 * - `recsys_ncf_model_age_seconds`: time since that artifact was written (its manifest's createdAt);
 * - `recsys_ncf_model_users`, `recsys_ncf_model_items`: what it knows;
 * - `recsys_model_snapshot_age_seconds`: time since the content/popularity snapshot was built;
 * - `recsys_redis_up`: 1 while the trending store's connection is ready, else 0.
 *
 * @param ncf - the artifact watcher.
 * @param snapshot - the served snapshot's build, when known.
 * @param redis - the trending store's connection.
 */
export function registerRecommendationMetrics(ncf: NcfArtifactWatcher, snapshot: () => ModelBuildInfo | undefined, redis: Redis): void {
  new Gauge({
    name: "recsys_ncf_model_info",
    help: "1 for the NeuMF model version being served.",
    labelNames: ["version"] as const,
    registers: [metricsRegistry],
    collect() {
      this.reset();
      const current = ncf.current;
      if (current) this.set({ version: current.version }, 1);
    },
  });
  gaugeFrom("recsys_ncf_model_age_seconds", "Seconds since the served NeuMF model was written.", () =>
    ncf.current ? (Date.now() - Date.parse(ncf.current.manifest.createdAt)) / 1000 : undefined,
  );
  gaugeFrom("recsys_ncf_model_users", "Users the served NeuMF model has embeddings for.", () => ncf.current?.scorer.userCount);
  gaugeFrom("recsys_ncf_model_items", "Items the served NeuMF model has embeddings for.", () => ncf.current?.scorer.itemCount);
  gaugeFrom("recsys_model_snapshot_age_seconds", "Seconds since the served content and popularity snapshot was built.", () => {
    const build = snapshot();
    return build ? (Date.now() - build.builtAt.getTime()) / 1000 : undefined;
  });
  gaugeFrom("recsys_redis_up", "1 while the connection to the trending store (Redis) is ready, else 0.", () => (redis.status === "ready" ? 1 : 0));
}

/**
 * Registers the live catalog's metrics and returns the callback `LiveCatalog` reports to:
 * - `recsys_catalog_changes_applied_total{kind="upsert"|"archive"}`: catalog changes that changed
 *   the served catalog;
 * - `recsys_catalog_change_lag_seconds`: histogram of the time from a change's commit in
 *   ProductService (its Kafka message timestamp) to its being served here.
 */
export function registerCatalogMetrics(): NonNullable<LiveCatalogOptions["onApplied"]> {
  const applied = new Counter({
    name: "recsys_catalog_changes_applied_total",
    help: "Catalog changes applied to the served catalog, by kind.",
    labelNames: ["kind"] as const,
    registers: [metricsRegistry],
  });
  const lag = new Histogram({
    name: "recsys_catalog_change_lag_seconds",
    help: "Seconds from a product write's commit to the change being served by this replica.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metricsRegistry],
  });
  return ({ upserts, removals, lagMs }) => {
    if (upserts > 0) applied.inc({ kind: "upsert" }, upserts);
    if (removals > 0) applied.inc({ kind: "archive" }, removals);
    for (const ms of lagMs) lag.observe(Math.max(0, ms) / 1000);
  };
}

/**
 * Registers the impression recorder's metrics, read at each scrape:
 * - `recsys_impressions_recorded_total`: impressions written to EngagementService.RecordImpressions;
 * - `recsys_impressions_dropped_total{reason="buffer_full"|"rejected"}`: impressions given up
 *   (the buffer was full during an outage; the engagement service refused the batch);
 * - `recsys_impression_write_failures_total`: failed writes (retryable ones are tried again);
 * - `recsys_impressions_buffered`: impressions waiting now.
 *
 * @param buffer - the process's impression buffer.
 */
export function registerImpressionMetrics(buffer: ImpressionBuffer): void {
  counterFrom("recsys_impressions_recorded_total", "Impressions (answered lists) written to EngagementService.", () => buffer.counters().recorded);
  new Counter({
    name: "recsys_impressions_dropped_total",
    help: "Impressions given up: buffer_full (the in-memory buffer was full), rejected (the engagement service refused the batch).",
    labelNames: ["reason"] as const,
    registers: [metricsRegistry],
    collect() {
      const { dropped } = buffer.counters();
      this.reset();
      this.inc({ reason: "buffer_full" }, dropped.bufferFull);
      this.inc({ reason: "rejected" }, dropped.rejected);
    },
  });
  counterFrom("recsys_impression_write_failures_total", "Failed RecordImpressions writes (retryable batches are sent again).", () => buffer.counters().failures);
  gaugeFrom("recsys_impressions_buffered", "Impressions waiting in memory to be written.", () => buffer.counters().buffered);
}
