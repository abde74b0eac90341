import pg from "pg";
import type { Logger } from "pino";
import { countOutboxRows, deleteOutboxRows, lockOutboxBatch } from "../data/outbox-repository.js";
import type { OutboxPublisher } from "./kafka-outbox-publisher.js";

export { ensureTopic, ensureTopicInBackground, type EnsureTopicOptions, type TopicEnsurer } from "./ensure-topic.js";
export { createOutboxProducer, KafkaOutboxPublisher, type OutboxPublisher } from "./kafka-outbox-publisher.js";

/** The PostgreSQL channel the outbox table's trigger notifies at commit. */
export const OUTBOX_CHANNEL = "outbox";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** The engagement database pool (the batch transactions run on it). */
  readonly pool: pg.Pool;
  /** URL of the engagement database, for the dedicated `LISTEN outbox` connection. */
  readonly databaseUrl: string;
  /** Where rows are published (normally a {@link KafkaOutboxPublisher}). */
  readonly publisher: OutboxPublisher;
  /** The process logger. */
  readonly logger: Logger;
  /** Most rows per batch (one transaction, one Kafka send); default 500. */
  readonly batchSize?: number;
  /** Fallback poll interval when no notification arrives, in ms; default 500. */
  readonly pollIntervalMs?: number;
  /** First backoff after a failure, in ms; default 100 (doubled per consecutive failure). */
  readonly initialBackoffMs?: number;
  /** Largest backoff, in ms; default 5000. */
  readonly maxBackoffMs?: number;
}

/** Counters of an {@link OutboxRelay}, since it was created. */
export interface OutboxRelayMetrics {
  /** Rows published and deleted. */
  readonly published: number;
  /** Batches published. */
  readonly batches: number;
  /** Failed attempts (each rolled back, nothing lost). */
  readonly failures: number;
  /** Rows waiting in the outbox now (a COUNT query), or undefined when the database cannot be read. */
  readonly pending: number | undefined;
  /** Whether the relay is in an outage (its last attempt failed). */
  readonly failing: boolean;
  /** Time from the oldest row's creation (its transaction's start) to the last batch's commit, in ms. */
  readonly lastBatchLagMs: number | undefined;
}

/**
 * The outbox relay: publishes the rows of the transactional outbox to Kafka and deletes them, so an
 * event committed with its outbox row reaches Kafka at least once even across Kafka outages and
 * crashes (https://microservices.io/patterns/data/transactional-outbox.html).
 *
 * Loop: wait for a `NOTIFY outbox` (a dedicated connection runs `LISTEN outbox` and reconnects when it
 * drops) or the fallback poll interval; then, in one transaction, `SELECT … ORDER BY id LIMIT n FOR
 * UPDATE SKIP LOCKED`, send the rows as one Kafka batch (acks = all) and, once acknowledged, DELETE
 * them and COMMIT. A full batch is followed at once by the next.
 *
 * Failures (Kafka or PostgreSQL down): the transaction rolls back, so the rows stay; the relay backs
 * off exponentially (100 ms doubling, capped at 5 s), logs one warning when an outage starts and one
 * line when it ends (with the number of failed attempts, the outage's duration and the rows
 * waiting). Delivery is at least once: when a send succeeds but the COMMIT that deletes the rows does
 * not, they are sent again; consumers dedupe on the `event-id` header / event_id.
 *
 * Order: rows are sent in id order, and several relays may run (SKIP LOCKED gives each a disjoint
 * batch), in which case batches may interleave.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeRequested = false;
  private wake: (() => void) | undefined;
  private listener: pg.Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private listenerFailures = 0;
  private published = 0;
  private batches = 0;
  private failures = 0;
  private consecutiveFailures = 0;
  private outageStartedAt = 0;
  private lastBatchLagMs: number | undefined;

  /** @param options - database, publisher, logger and tuning. */
  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  /** Starts listening and publishing in the background; returns at once. Calling it twice is a no-op. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectListener();
    this.loop = this.run();
  }

  /**
   * Stops: the batch in progress finishes (committed or rolled back, never half done), then the
   * LISTEN connection and the publisher are closed. Rows not yet published stay in the outbox for the
   * next start.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.signal();
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.end().catch(() => undefined);
    await this.options.publisher.close().catch(() => undefined);
  }

  /** Returns the relay's counters; `pending` costs one COUNT query. */
  async metrics(): Promise<OutboxRelayMetrics> {
    const pending = await countOutboxRows(this.options.pool).catch(() => undefined);
    return {
      published: this.published,
      batches: this.batches,
      failures: this.failures,
      pending,
      failing: this.consecutiveFailures > 0,
      lastBatchLagMs: this.lastBatchLagMs,
    };
  }

  /**
   * Publishes one batch (one transaction).
   *
   * @returns the number of rows published (0 when the outbox was empty).
   * @throws when PostgreSQL or the publisher fails; the transaction is rolled back.
   */
  async publishBatch(): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      await client.query("BEGIN");
      const rows = await lockOutboxBatch(client, this.batchSize);
      if (rows.length === 0) {
        await client.query("COMMIT");
        return 0;
      }
      try {
        await this.options.publisher.publish(rows);
      } catch (err) {
        await this.options.publisher.reset().catch(() => undefined);
        throw err;
      }
      await deleteOutboxRows(
        client,
        rows.map((r) => r.id),
      );
      await client.query("COMMIT");
      this.published += rows.length;
      this.batches += 1;
      this.lastBatchLagMs = Date.now() - Math.min(...rows.map((r) => r.createdAt.getTime()));
      return rows.length;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch();
        if (this.consecutiveFailures > 0) this.recovered();
      } catch (err) {
        await this.failed(err);
        await this.sleep(this.backoffMs(), false);
        continue;
      }
      if (published < this.batchSize) await this.sleep(this.pollIntervalMs, true);
    }
  }

  private async failed(err: unknown): Promise<void> {
    this.failures += 1;
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures === 1) {
      this.outageStartedAt = Date.now();
      const pending = await countOutboxRows(this.options.pool).catch(() => undefined);
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err), pending, published: this.published },
        "outbox relay cannot publish; rows stay in the outbox and are retried with backoff",
      );
    }
  }

  private recovered(): void {
    this.options.logger.info(
      {
        failedAttempts: this.consecutiveFailures,
        outageMs: Date.now() - this.outageStartedAt,
        published: this.published,
      },
      "outbox relay publishing again",
    );
    this.consecutiveFailures = 0;
  }

  private backoffMs(): number {
    const exp = Math.min(this.consecutiveFailures - 1, 30);
    return Math.min(this.initialBackoffMs * 2 ** exp, this.maxBackoffMs);
  }

  /** Waits `ms`, or less when stopped, or (when `wakeable`) when a notification arrived. */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (wakeable && this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = () => {
        if (!this.running || wakeable) {
          this.wakeRequested = false;
          finish();
        }
      };
    });
  }

  private signal(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private connectListener(): void {
    if (!this.running) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
    this.listener = client;
    let retried = false;
    const retry = (err: unknown): void => {
      if (retried || !this.running) return;
      retried = true;
      this.listenerFailures += 1;
      if (this.listenerFailures === 1) {
        this.options.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "outbox LISTEN connection lost; polling every interval until it is back",
        );
      }
      void client.end().catch(() => undefined);
      const delay = Math.min(this.initialBackoffMs * 2 ** Math.min(this.listenerFailures - 1, 30), this.maxBackoffMs);
      this.listenerRetry = setTimeout(() => this.connectListener(), delay);
    };
    client.on("notification", (msg) => {
      if (msg.channel === OUTBOX_CHANNEL) this.signal();
    });
    client.on("error", retry);
    client.on("end", () => retry(new Error("connection ended")));
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => {
        if (this.listenerFailures > 0) {
          this.options.logger.info({ attempts: this.listenerFailures }, "outbox LISTEN connection restored");
        }
        this.listenerFailures = 0;
        // Rows committed while the listener was down were announced to nobody: look now.
        this.signal();
      })
      .catch(retry);
  }
}
