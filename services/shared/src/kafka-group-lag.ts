import type { Admin } from "kafkajs";

/**
 * A consumer group's lag on a topic, per partition: the partition's high watermark minus the
 * group's committed offset (minus the low watermark when the group committed nothing there, so the
 * whole retained log counts), never below 0 — the standard definition, as Kafka's
 * `kafka-consumer-groups.sh --describe` reports it. Two admin requests (topic offsets and the
 * group's offsets), sent together.
 *
 * @param admin - a connected kafkajs admin client.
 * @param groupId - the consumer group.
 * @param topic - the topic.
 * @returns messages behind, by partition number.
 * @throws the broker's error (kafkajs retries first).
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map<number, number>();
  for (const p of committed.find((t) => t.topic === topic)?.partitions ?? []) byPartition.set(p.partition, Number(p.offset));
  const out = new Map<number, number>();
  for (const end of ends) {
    const at = byPartition.get(end.partition) ?? -1;
    const from = at >= 0 ? at : Number(end.low);
    out.set(end.partition, Math.max(0, Number(end.high) - from));
  }
  return out;
}

/**
 * A lazily connected admin client's {@link consumerGroupLag}, summed over partitions: connects at
 * the first call (and again after a failed connect).
 *
 * @param admin - a kafkajs admin client, not yet connected.
 * @param groupId - the consumer group.
 * @param topic - the topic.
 * @returns a function giving the total lag in messages (throws the broker's error), and one that
 *   disconnects the client.
 */
export function totalGroupLag(admin: Admin, groupId: string, topic: string): { lag: () => Promise<number>; close: () => Promise<void> } {
  let connected: Promise<void> | undefined;
  return {
    lag: async () => {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      let total = 0;
      for (const messages of (await consumerGroupLag(admin, groupId, topic)).values()) total += messages;
      return total;
    },
    close: async () => {
      if (connected) await admin.disconnect().catch(() => undefined);
    },
  };
}
