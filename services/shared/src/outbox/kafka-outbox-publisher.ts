import { Partitioners, type Kafka, type Message, type Producer } from "kafkajs";
import { context, trace, type Span } from "@opentelemetry/api";
import type { OutboxRow } from "./outbox-repository.js";
import { contextFromHeaders, endSpans, SpanKind, startMessagingSpan, traceContextHeaders } from "../trace-context.js";

/** Where the outbox relay sends rows. {@link KafkaOutboxPublisher} is the real one. */
export interface OutboxPublisher {
  /**
   * Publishes rows, in order, and resolves only when every one is acknowledged.
   *
   * @throws whatever the broker client throws; the relay then rolls back and retries later, and
   *   calls {@link OutboxPublisher.reset} first.
   */
  publish(rows: readonly OutboxRow[]): Promise<void>;
  /** Drops the current connection/session after a failure; the next publish reconnects. */
  reset(): Promise<void>;
  /** Disconnects for good (on shutdown). */
  close(): Promise<void>;
}

/** Options of {@link KafkaOutboxPublisher}. */
export interface KafkaOutboxPublisherOptions {
  /** How many times kafkajs retries a failing request before the send fails (default 5). */
  readonly retries?: number;
  /** First retry wait, in ms (default 200; kafkajs doubles it with jitter). */
  readonly initialRetryTimeMs?: number;
  /** Longest single retry wait, in ms (default 2000). */
  readonly maxRetryTimeMs?: number;
  /**
   * The header naming what a message announces (engagement: `event-id`, product: `product-id`),
   * used as the publish span's `messaging.message.id`; the outbox row id when absent.
   */
  readonly messageIdHeader?: string;
}

/**
 * Creates the producer the outbox relay uses: idempotent (the broker drops duplicates of a retried
 * produce request within one producer session), `acks = all` on every send, one request in flight
 * (order kept under retries), the default (murmur2, Java-compatible) partitioner so messages keyed
 * by user id land on the same partition as a Java client would put them.
 *
 * Retries are bounded on purpose (kafkajs defaults to unbounded for idempotent producers): a send
 * that keeps failing must fail, so the relay can roll back, back off and stay stoppable. After a
 * failure the relay discards the producer ({@link KafkaOutboxPublisher.reset}), so the next attempt
 * starts a new producer session (new producer id and sequence numbers, see KIP-98).
 *
 * @param kafka - the kafkajs client.
 * @param options - retry bounds.
 */
export function createOutboxProducer(kafka: Kafka, options: KafkaOutboxPublisherOptions = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: {
      retries: options.retries ?? 5,
      initialRetryTime: options.initialRetryTimeMs ?? 200,
      maxRetryTime: options.maxRetryTimeMs ?? 2_000,
    },
  });
}

/**
 * {@link OutboxPublisher} over a kafkajs idempotent producer ({@link createOutboxProducer}). Rows are
 * sent as one `sendBatch` with `acks: -1` (all in-sync replicas), grouped by topic in id order; each
 * message keeps the row's key, value and headers; a row written under a trace gets a PRODUCER span
 * (`<topic> publish`, ended when the broker acknowledged the batch) and its `traceparent` names it.
 */
export class KafkaOutboxPublisher implements OutboxPublisher {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;

  /**
   * @param kafka - the kafkajs client that producers are created from.
   * @param options - retry bounds of each producer.
   */
  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaOutboxPublisherOptions = {},
  ) {}

  async publish(rows: readonly OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    const producer = await this.connected();
    const byTopic = new Map<string, Message[]>();
    // One PRODUCER span per row that carries a trace context (tracing on): the child of the call
    // that wrote the row, and the parent the message's own traceparent names for its consumers.
    const spans: Span[] = [];
    for (const row of rows) {
      let messages = byTopic.get(row.topic);
      if (!messages) byTopic.set(row.topic, (messages = []));
      const headers: Record<string, string> = { ...row.headers };
      if (headers.traceparent !== undefined) {
        const span = startMessagingSpan(`${row.topic} publish`, SpanKind.PRODUCER, contextFromHeaders(row.headers), {
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": row.topic,
          "messaging.message.id": (this.options.messageIdHeader === undefined ? undefined : row.headers[this.options.messageIdHeader]) ?? row.id,
          "recsys.outbox.row_id": row.id,
          "recsys.outbox.wait_ms": Date.now() - row.createdAt.getTime(),
        });
        spans.push(span);
        Object.assign(headers, traceContextHeaders(trace.setSpan(context.active(), span)));
      }
      messages.push({ key: row.key, value: Buffer.from(row.payload), headers });
    }
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      endSpans(spans, err);
      throw err;
    }
    endSpans(spans);
  }

  async reset(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    if (producer) await producer.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    if (!this.connecting) {
      const producer = createOutboxProducer(this.kafka, this.options);
      this.connecting = producer.connect().then(
        () => {
          this.producer = producer;
          this.connecting = undefined;
          return producer;
        },
        async (err: unknown) => {
          this.connecting = undefined;
          await producer.disconnect().catch(() => undefined);
          throw err;
        },
      );
    }
    return this.connecting;
  }
}
