import os from "node:os";
import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "pino";
import { ProductChangeSchema } from "../../../../gen/recsys/product/v1/product_change_pb.js";
import type { CatalogChange } from "../models/catalog.js";

/** Where {@link CatalogChangeConsumer} hands the decoded changes, in log order per product. */
export interface CatalogChangeSink {
  /**
   * Applies one fetched batch of changes (one partition's messages, in offset order). The offsets
   * are not committed anywhere: a restarted replica loads the catalog again and reads from then on.
   *
   * @throws nothing the consumer can act on: a failure is logged and the batch skipped.
   */
  apply(changes: readonly CatalogChange[]): Promise<void>;
}

/** Options of {@link CatalogChangeConsumer}. */
export interface CatalogChangeConsumerOptions {
  /** The kafkajs client. */
  readonly kafka: Kafka;
  /** The catalog-changes topic. */
  readonly topic: string;
  /** Receives the decoded changes. */
  readonly sink: CatalogChangeSink;
  /** The process logger. */
  readonly logger: Logger;
  /** Longest wait of one fetch for new messages, in ms (default 100: a change is applied within about that). */
  readonly maxWaitTimeInMs?: number;
  /** Prefix of this replica's consumer group id (default "recsys-catalog"); the host, pid and a random part follow. */
  readonly groupIdPrefix?: string;
}

/**
 * Follows the catalog-changes topic for ONE recommendation replica: every replica holds the whole
 * catalog in memory, so every replica must read every change. Each process therefore joins a
 * consumer group of its own (`<prefix>-<host>-<pid>-<random>`, deleted again on {@link stop}), owns
 * all partitions, and commits nothing.
 *
 * No change is missed between loading the catalog and following the topic: {@link markStart}
 * records the topic's high watermarks before the catalog is read, and {@link start} seeks every
 * partition to them, so every change committed after that point is delivered (changes the load
 * already saw are delivered again; applying a product's latest state again is harmless, and the
 * changes of one product arrive in order because they are keyed by product id).
 *
 * Messages that do not decode as `ProductChange` are logged and skipped.
 */
export class CatalogChangeConsumer {
  /** This replica's consumer group id. */
  readonly groupId: string;
  private consumer: Consumer | undefined;
  private startOffsets: Map<number, string> | undefined;

  /** @param options - Kafka client, topic, sink, logger and tuning. */
  constructor(private readonly options: CatalogChangeConsumerOptions) {
    this.groupId = `${options.groupIdPrefix ?? "recsys-catalog"}-${os.hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
  }

  /**
   * Records where following the topic will start: each partition's high watermark now. Call it
   * before reading the catalog.
   *
   * @throws KafkaJS errors when the broker cannot be reached (the caller retries, and reloads the
   *   catalog after a later success).
   */
  async markStart(): Promise<void> {
    this.startOffsets = await this.readHighWatermarks();
  }

  private async readHighWatermarks(): Promise<Map<number, string>> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      return new Map(offsets.map((o) => [o.partition, o.high] as const));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * {@link markStart}, failing after `timeoutMs` when the broker does not answer (kafkajs would
   * otherwise retry for much longer).
   *
   * @param timeoutMs - the longest wait, in ms.
   * @throws Error naming the timeout, or the KafkaJS error.
   */
  async markStartWithin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // A late answer must not count: offsets recorded after the catalog was read could miss writes.
    let timedOut = false;
    const marking = this.readHighWatermarks().then((offsets) => {
      if (!timedOut) this.startOffsets = offsets;
    });
    try {
      await Promise.race([marking, timeout]);
    } catch (err) {
      timedOut = true;
      marking.catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether {@link markStart} has succeeded. */
  get marked(): boolean {
    return this.startOffsets !== undefined;
  }

  /**
   * Joins this replica's group and follows the topic from the offsets {@link markStart} recorded.
   *
   * @throws Error when {@link markStart} has not succeeded; KafkaJS errors when the broker cannot be reached.
   */
  async start(): Promise<void> {
    const offsets = this.startOffsets;
    if (!offsets) throw new Error("CatalogChangeConsumer.start: markStart has not succeeded");
    const consumer = this.options.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 100,
      minBytes: 1,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const changes: CatalogChange[] = [];
        for (const message of batch.messages) {
          const change = this.decode(message.value, Number(message.timestamp), batch.partition, message.offset);
          if (change) changes.push(change);
        }
        if (changes.length === 0) return;
        try {
          await this.options.sink.apply(changes);
        } catch (err) {
          this.options.logger.error({ err, partition: batch.partition, changes: changes.length }, "catalog changes could not be applied; skipped");
        }
      },
    });
    for (const [partition, offset] of offsets) consumer.seek({ topic: this.options.topic, partition, offset });
    this.options.logger.info({ topic: this.options.topic, groupId: this.groupId, partitions: offsets.size }, "following catalog changes");
  }

  /** Leaves the group and deletes it (best effort: a group left behind expires with its offsets). */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect().catch(() => undefined);
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // The broker may be gone at shutdown; an empty group expires on its own.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private decode(value: Buffer | null, timestampMs: number, partition: number, offset: string): CatalogChange | undefined {
    try {
      if (!value) throw new Error("empty message");
      const change = fromBinary(ProductChangeSchema, value);
      const p = change.product;
      if (!p || p.productId === "") throw new Error("no product_id");
      return {
        product: { productId: p.productId, title: p.title, categories: p.categories, tags: p.tags, description: p.description },
        archived: change.archived,
        revision: Number(change.revision),
        committedAtMs: Number.isFinite(timestampMs) ? timestampMs : Date.now(),
      };
    } catch (err) {
      this.options.logger.warn({ err: err instanceof Error ? err.message : String(err), partition, offset }, "catalog change skipped: not a ProductChange");
      return undefined;
    }
  }
}
