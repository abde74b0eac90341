import type { Kafka } from "kafkajs";
import { Gauge } from "prom-client";
import { counterFrom, gaugeFrom, metricsRegistry } from "../../../shared/src/metrics.js";
import { consumerGroupLag } from "../../../shared/src/kafka-group-lag.js";
import type { TrendingConsumer, TrendingConsumerMetrics } from "./trending-consumer.js";

/** Longest the scrape's two Kafka admin requests may take together, in ms. */
const LAG_TIMEOUT_MS = 3_000;

/** What {@link registerConsumerMetrics} reads. */
export interface ConsumerMetricsSources {
  /** The process's consumer (its counters). */
  readonly consumer: Pick<TrendingConsumer, "metrics">;
  /** The Kafka client (an admin client is made from it for the lag). */
  readonly kafka: Kafka;
  /** The consumer group. */
  readonly groupId: string;
  /** The topic consumed. */
  readonly topic: string;
}

/**
 * Registers the trending consumer's Prometheus metrics, read at each scrape:
 * - `recsys_consumer_lag_messages{topic, partition}`: the partition's high watermark minus the
 *   group's committed offset (the whole retained log when nothing is committed), from the broker,
 *   so a stalled consumer shows a growing lag (the standard definition, e.g. Kafka's
 *   `kafka-consumer-groups.sh --describe`); left out of a scrape when Kafka cannot answer within 3 s;
 * - `recsys_trending_events_applied_total`, `recsys_trending_events_duplicate_total`,
 *   `recsys_trending_messages_malformed_total`, `recsys_trending_store_failures_total`,
 *   `recsys_user_state_changes_total`, `recsys_trending_batches_total`: this process's counters;
 * - `recsys_trending_store_down`: 1 while applying to Redis fails.
 *
 * @param sources - consumer, Kafka client, group and topic.
 * @returns a function that disconnects the admin client.
 */
export function registerConsumerMetrics(sources: ConsumerMetricsSources): () => Promise<void> {
  const admin = sources.kafka.admin();
  let connected: Promise<void> | undefined;
  const lag = async (): Promise<Map<number, number>> => {
    connected ??= admin.connect().catch((err: unknown) => {
      connected = undefined;
      throw err;
    });
    await connected;
    return consumerGroupLag(admin, sources.groupId, sources.topic);
  };
  new Gauge({
    name: "recsys_consumer_lag_messages",
    help: "Messages of the partition not yet committed by the consumer group (high watermark minus committed offset).",
    labelNames: ["topic", "partition"] as const,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LAG_TIMEOUT_MS)));
      const lags = await Promise.race([lag().catch(() => undefined), timeout]);
      clearTimeout(timer);
      for (const [partition, messages] of lags ?? []) this.set({ topic: sources.topic, partition: String(partition) }, messages);
    },
  });
  const metrics = (): TrendingConsumerMetrics => sources.consumer.metrics();
  counterFrom("recsys_trending_events_applied_total", "Engagement events applied to the trending statistics.", () => metrics().applied);
  counterFrom("recsys_trending_events_duplicate_total", "Events skipped as already applied (redeliveries, re-publishes).", () => metrics().duplicates);
  counterFrom("recsys_trending_messages_malformed_total", "Kafka messages skipped because they could not be decoded.", () => metrics().malformed);
  counterFrom("recsys_trending_store_failures_total", "Failed Redis applies (each retried).", () => metrics().storeFailures);
  counterFrom("recsys_user_state_changes_total", "Events that changed a user's per-user state.", () => metrics().userStateChanges);
  counterFrom("recsys_trending_batches_total", "Kafka batches completed.", () => metrics().batches);
  gaugeFrom("recsys_trending_store_down", "1 while applying events to Redis fails, else 0.", () => (metrics().storeDown ? 1 : 0));
  return async () => {
    if (connected) await admin.disconnect().catch(() => undefined);
  };
}
