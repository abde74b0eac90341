import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "pino";
import { waitForTopic } from "../../stream/wait-for-topic.js";

/** Options of {@link EngagementEventCounter}. */
export interface EngagementEventCounterOptions {
  /** The consumer group (`recsys-retrainer`); its committed offsets carry the count over restarts. */
  readonly groupId: string;
  /** The engagement events topic. */
  readonly topic: string;
  /** How long start-up waits for the topic to exist, in ms. */
  readonly topicWaitMs: number;
  /** Receives the start and failures. */
  readonly logger: Logger;
}

/**
 * Counts the engagement events accepted since the process started, as a Kafka consumer group
 * member on `engagement-events` that decodes nothing and only adds up each batch's message count.
 *
 * Why Kafka and not an EngagementService RPC: the outbox publishes exactly one message per
 * accepted event, so the topic already is the count; following it costs the retrainer a fetch per
 * `maxWaitTimeInMs` and the engagement database nothing (a count query would scan a growing table
 * on every check); and the group's committed offsets mean that events accepted while the retrainer
 * was down are counted when it comes back (a new group starts at the end of the log: history
 * before the first start is what the first training reads anyway). Redeliveries after a crash may
 * count a batch twice, which only brings a training slightly forward.
 */
export class EngagementEventCounter {
  private counted = 0;
  private consumer: Consumer | undefined;

  /**
   * @param kafka - the kafkajs client.
   * @param options - group, topic, wait and logger.
   */
  constructor(
    private readonly kafka: Kafka,
    private readonly options: EngagementEventCounterOptions,
  ) {}

  /** Events counted since this process started. */
  get total(): number {
    return this.counted;
  }

  /**
   * Waits for the topic, joins the group and starts counting.
   *
   * @throws the KafkaJS error when the brokers cannot be reached or the topic does not appear in time.
   */
  async start(): Promise<void> {
    await waitForTopic(this.kafka, this.options.topic, this.options.topicWaitMs, this.options.logger);
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, maxWaitTimeInMs: 1_000 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: false });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        this.counted += batch.messages.length;
      },
    });
    this.options.logger.info({ topic: this.options.topic, groupId: this.options.groupId }, "counting engagement events");
  }

  /** Leaves the group (committing what was counted) and disconnects. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
