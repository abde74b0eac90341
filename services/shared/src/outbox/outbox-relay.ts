import pg from "pg";
import type { Logger } from "pino";
import { backoffDelayMs, Outage, WakeableSleep, type BackoffPolicy } from "../backoff.js";
import { withTransaction } from "../pg.js";
import { countOutboxRows, deleteOutboxRows, lockOutboxBatch } from "./outbox-repository.js";
import type { OutboxPublisher } from "./kafka-outbox-publisher.js";


/** The PostgreSQL channel the outbox table's trigger notifies at commit. */
export const OUTBOX_CHANNEL = "outbox";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** The engagement database pool (the batch transactions run on it). */
  readonly pool: pg.Pool;
  /** URL of the engagement database, for the dedicated `LISTEN outbox` connection. */
  readonly databaseUrl: string;
  /** Where rows are published (normally a `KafkaOutboxPublisher`). */
  readonly publisher: OutboxPublisher;
  /** The process logger. */
  readonly logger: Logger;
  /**
   * Most rows per batch (one transaction, one Kafka send); default 500 here. The service passes
   * `OUTBOX_BATCH_SIZE`, whose default is 2000 (see config.ts).
   */
  readonly batchSize?: number;
  /** Fallback poll interval when no notification arrives, in ms; default 500 (the service passes `OUTBOX_POLL_INTERVAL_MS`, also 500 by default). */
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
 * not, they are sent again; consumers dedupe on the pair of headers (`user-id`, `event-id`), the
 * payload's (user_id, event_id). The trending consumer remembers the pairs of the last
 * `TRENDING_DEDUP_WINDOW` (20,000) events per partition, ten batches of the default size: a batch
 * sent again must reach Kafka within that many events of its first copy, which it does because its
 * rows are the oldest and the next run takes them first.
 *
 * Order: rows are sent in id order, and several relays may run (SKIP LOCKED gives each a disjoint
 * batch), in which case batches may interleave.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly outage: Outage;
  /** Woken by `NOTIFY outbox` (and by the listener's reconnection), stopped by {@link stop}. */
  private readonly sleeper = new WakeableSleep();
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: pg.Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private listenerFailures = 0;
  private published = 0;
  private batches = 0;
  private failures = 0;
  private lastBatchLagMs: number | undefined;

  /** @param options - database, publisher, logger and tuning. */
  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.backoff = { initialMs: options.initialBackoffMs ?? 100, maxMs: options.maxBackoffMs ?? 5_000 };
    this.outage = new Outage(this.backoff);
  }

  /** Starts listening and publishing in the background; returns at once. Calling it twice is a no-op. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.sleeper.resume();
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
    this.sleeper.stop();
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.end().catch(() => undefined);
    await this.options.publisher.close().catch(() => undefined);
  }

  /** The relay's counters without the database's row count (no query). */
  counters(): Omit<OutboxRelayMetrics, "pending"> {
    return {
      published: this.published,
      batches: this.batches,
      failures: this.failures,
      failing: this.outage.active,
      lastBatchLagMs: this.lastBatchLagMs,
    };
  }

  /** Returns the relay's counters; `pending` costs one COUNT query. */
  async metrics(): Promise<OutboxRelayMetrics> {
    const pending = await countOutboxRows(this.options.pool).catch(() => undefined);
    return {
      published: this.published,
      batches: this.batches,
      failures: this.failures,
      pending,
      failing: this.outage.active,
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
    // The transaction is held while Kafka acknowledges: the rows stay locked (FOR UPDATE) until they
    // are deleted in the same transaction, so no other relay sends them meanwhile.
    const rows = await withTransaction(this.options.pool, async (client) => {
      const locked = await lockOutboxBatch(client, this.batchSize);
      if (locked.length === 0) return locked;
      try {
        await this.options.publisher.publish(locked);
      } catch (err) {
        await this.options.publisher.reset().catch(() => undefined);
        throw err;
      }
      await deleteOutboxRows(
        client,
        locked.map((r) => r.id),
      );
      return locked;
    });
    if (rows.length === 0) return 0;
    this.published += rows.length;
    this.batches += 1;
    this.lastBatchLagMs = Date.now() - Math.min(...rows.map((r) => r.createdAt.getTime()));
    return rows.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch();
        this.recovered();
      } catch (err) {
        await this.failed(err);
        await this.sleeper.sleep(this.outage.delayMs());
        continue;
      }
      if (published < this.batchSize) await this.sleeper.sleep(this.pollIntervalMs, true);
    }
  }

  private async failed(err: unknown): Promise<void> {
    this.failures += 1;
    if (this.outage.fail()) {
      const pending = await countOutboxRows(this.options.pool).catch(() => undefined);
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err), pending, published: this.published },
        "outbox relay cannot publish; rows stay in the outbox and are retried with backoff",
      );
    }
  }

  /** Ends the outage in progress, if any, with one log line. */
  private recovered(): void {
    const ended = this.outage.recover();
    if (!ended) return;
    this.options.logger.info(
      { failedAttempts: ended.failedAttempts, outageMs: ended.outageMs, published: this.published },
      "outbox relay publishing again",
    );
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
      const delay = backoffDelayMs(this.listenerFailures, this.backoff);
      this.listenerRetry = setTimeout(() => this.connectListener(), delay);
    };
    client.on("notification", (msg) => {
      if (msg.channel === OUTBOX_CHANNEL) this.sleeper.wake();
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
        this.sleeper.wake();
      })
      .catch(retry);
  }
}
