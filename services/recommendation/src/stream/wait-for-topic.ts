import type { Kafka } from "kafkajs";
import type { Logger } from "pino";

/**
 * Waits until a Kafka topic exists (the engagement service creates `engagement-events` at its
 * start, and the two processes may start in any order), checking the topic list every `intervalMs`.
 *
 * @param kafka - the kafkajs client.
 * @param topic - the topic.
 * @param timeoutMs - how long to wait, in ms.
 * @param logger - receives one line when waiting starts.
 * @param intervalMs - the check interval, in ms (default 1000).
 * @throws Error "topic … does not exist after … ms" when it does not appear in time, or the last
 *   KafkaJS error when the brokers stayed unreachable.
 */
export async function waitForTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  logger: Logger,
  intervalMs = 1_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const admin = kafka.admin();
  let connected = false;
  let logged = false;
  let lastError: unknown;
  try {
    for (;;) {
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        if ((await admin.listTopics()).includes(topic)) return;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        if (lastError) throw lastError;
        throw new Error(`topic ${topic} does not exist after ${timeoutMs} ms`);
      }
      if (!logged) {
        logger.info({ topic }, "waiting for the Kafka topic to be created");
        logged = true;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    if (connected) await admin.disconnect().catch(() => undefined);
  }
}
