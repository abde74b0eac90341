import type { Kafka } from "kafkajs";
import type { Logger } from "pino";

/** Options of {@link ensureTopic}. */
export interface EnsureTopicOptions {
  /** Partitions of a newly created topic (default 3). An existing topic is left as it is. */
  readonly partitions?: number;
  /** Replication factor of a newly created topic (default -1: the broker's `default.replication.factor`). */
  readonly replicationFactor?: number;
  /** Receives one line saying whether the topic was created. */
  readonly logger?: Logger;
}

/**
 * Makes sure a Kafka topic exists: `CreateTopics` through the admin client, waiting for partition
 * leaders, treating "already exists" (also from a concurrent creator) as success.
 *
 * @param kafka - the kafkajs client.
 * @param topic - the topic name.
 * @param options - partitions, replication factor, logger.
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
