import type { Kafka } from "kafkajs";
import type { Logger } from "pino";

/**
 * Default `retention.ms` of a topic created by {@link ensureTopic}: 7 days, in ms. The trending
 * consumer rebuilds Redis from the retained log (state-loss-replay.ts in the recommendation
 * service), so this bounds what a rebuild holds; see docs/architecture.md.
 */
export const DEFAULT_TOPIC_RETENTION_MS = 7 * 86_400_000;

/** Options of {@link ensureTopic}. */
export interface EnsureTopicOptions {
  /** Partitions of a newly created topic (default 3). An existing topic is left as it is. */
  readonly partitions?: number;
  /** Replication factor of a newly created topic (default -1: the broker's `default.replication.factor`). */
  readonly replicationFactor?: number;
  /**
   * `retention.ms` of a newly created topic, in ms (default {@link DEFAULT_TOPIC_RETENTION_MS}, 7
   * days; -1 keeps the log forever). An existing topic keeps its configuration: change it with
   * `kafka-configs.sh --alter --entity-type topics --entity-name <topic> --add-config retention.ms=…`.
   */
  readonly retentionMs?: number;
  /** Receives one line saying whether the topic was created. */
  readonly logger?: Logger;
}

/**
 * Makes sure a Kafka topic exists: `CreateTopics` through the admin client, waiting for partition
 * leaders, treating "already exists" (also from a concurrent creator) as success.
 *
 * @param kafka - the kafkajs client.
 * @param topic - the topic name.
 * @param options - partitions, replication factor, retention, logger.
 * @returns true when this call created the topic, false when it existed.
 * @throws KafkaJS errors when the cluster is unreachable or refuses.
 */
export async function ensureTopic(kafka: Kafka, topic: string, options: EnsureTopicOptions = {}): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let created: boolean;
    try {
      created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: options.partitions ?? 3,
            replicationFactor: options.replicationFactor ?? -1,
            configEntries: [{ name: "retention.ms", value: String(options.retentionMs ?? DEFAULT_TOPIC_RETENTION_MS) }],
          },
        ],
      });
    } catch (err) {
      if (!isTopicExists(err)) throw err;
      created = false;
    }
    options.logger?.info({ topic, created }, created ? "Kafka topic created" : "Kafka topic exists");
    return created;
  } finally {
    await admin.disconnect();
  }
}

function isTopicExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: { type?: string }[] } | null;
  if (e?.type === "TOPIC_ALREADY_EXISTS") return true;
  return Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every((x) => x.type === "TOPIC_ALREADY_EXISTS");
}

/** A background {@link ensureTopic} loop started by {@link ensureTopicInBackground}. */
export interface TopicEnsurer {
  /** Resolves once the topic exists (never rejects; stays pending when stopped first). */
  readonly ready: Promise<void>;
  /** Stops retrying. */
  stop(): void;
}

/**
 * Runs {@link ensureTopic} until it succeeds, retrying every `retryMs` while Kafka is unreachable,
 * without blocking the caller: the engagement service accepts events during a Kafka outage (they
 * wait in the outbox), so a broker that is down at start-up must not keep the service down. One
 * warning is logged for the first failure.
 *
 * @param kafka - the kafkajs client.
 * @param topic - the topic name.
 * @param options - as for {@link ensureTopic} (the logger is required here), plus `retryMs` (default 5000).
 */
export function ensureTopicInBackground(
  kafka: Kafka,
  topic: string,
  options: EnsureTopicOptions & { readonly logger: Logger; readonly retryMs?: number },
): TopicEnsurer {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let warned = false;
  const ready = new Promise<void>((resolve) => {
    const attempt = (): void => {
      if (stopped) return;
      ensureTopic(kafka, topic, options).then(() => resolve(), (err: unknown) => {
        if (!warned) {
          options.logger.warn(
            { topic, err: err instanceof Error ? err.message : String(err) },
            "cannot ensure the Kafka topic yet; retrying in the background (events wait in the outbox)",
          );
          warned = true;
        }
        if (!stopped) timer = setTimeout(attempt, options.retryMs ?? 5_000);
      });
    };
    attempt();
  });
  return {
    ready,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
