import type { Logger } from "pino";

/** The kind of list an impression showed (recsys.engagement.v1.ListType, as a plain string). */
export type ListKind = "for_you" | "similar" | "trending";

/** One recommendation list as answered, to be recorded as an impression. */
export interface ImpressionRecord {
  /** The answer's `recommendation_id` (a UUIDv7, `newRecommendationId`). */
  readonly recommendationId: string;
  /** Which RPC answered it: GetRecommendations, GetSimilarProducts or GetTrending. */
  readonly listKind: ListKind;
  /** The user the list was made for, when known (GetRecommendations). */
  readonly userId?: string;
  /** The products shown, in list order (position i from 0 is productIds[i]). */
  readonly productIds: readonly string[];
  /** When the list was answered, in ms since the epoch. */
  readonly shownAtMs: number;
}

/**
 * Where impressions are written (the EngagementService's RecordImpressions, idempotent by
 * recommendation id, so a batch may be sent again).
 */
export interface ImpressionSink {
  /**
   * Writes one batch.
   *
   * @param batch - 1 to `batchSize` impressions with distinct ids.
   * @throws ImpressionSinkError (or any error, treated as retryable) when the batch was not written.
   */
  write(batch: readonly ImpressionRecord[]): Promise<void>;
}

/** A failed {@link ImpressionSink.write}; `retryable` false means sending it again cannot succeed (a rejected batch). */
export class ImpressionSinkError extends Error {
  /**
   * @param message - what went wrong.
   * @param retryable - whether the same batch may succeed later (an outage) or never (refused).
   */
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "ImpressionSinkError";
  }
}

/** Counters of an {@link ImpressionBuffer} since it started. */
export interface ImpressionBufferCounters {
  /** Impressions written by the sink. */
  readonly recorded: number;
  /** Impressions given up: `buffer_full` (the buffer held `maxBuffered`), `rejected` (the sink refused the batch). */
  readonly dropped: { readonly bufferFull: number; readonly rejected: number };
  /** Failed writes (each batch of a retryable failure is tried again). */
  readonly failures: number;
  /** Impressions waiting now. */
  readonly buffered: number;
}

/** Options of {@link ImpressionBuffer}. */
export interface ImpressionBufferOptions {
  /** Where batches go. */
  readonly sink: ImpressionSink;
  /** Most impressions waiting; beyond it new ones are dropped (counted). */
  readonly maxBuffered: number;
  /** Most impressions per write. */
  readonly batchSize: number;
  /** Pause between writes, in ms (a full batch is written at the next tick too). */
  readonly flushIntervalMs: number;
  /** Where failures are logged (at most one line per `logIntervalMs`). */
  readonly logger: Logger;
  /** Least time between two failure log lines, in ms (default 10000). */
  readonly logIntervalMs?: number;
  /** Told about each failed write, for the operator's recent errors. */
  readonly onFailure?: (message: string) => void;
}

/**
 * Records impressions in the background so that a recommendation answer never waits for, nor fails
 * because of, the write: {@link record} only appends to an in-memory queue (O(1), never throws); a
 * timer writes batches of at most `batchSize` every `flushIntervalMs`, one write at a time. A
 * retryable failure (the engagement service down or slow) puts the batch back at the head of the
 * queue and it is sent again at the next tick (safe: the sink is idempotent by recommendation id);
 * a refused batch is dropped. The queue is bounded by `maxBuffered`: while it is full, new
 * impressions are dropped and counted (`buffer_full`), so an outage costs memory of at most
 * `maxBuffered` impressions (about 1 KB each for 10 items) and the CTR of that time is
 * under-counted, never the answers. Failures are logged (rate-limited) and counted
 * ({@link counters}, exported as Prometheus metrics by the process). Delivery is at least once
 * while the process runs and at most what is buffered is lost when it dies; {@link close} tries to
 * write what is left once.
 */
export class ImpressionBuffer {
  private queue: ImpressionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private recorded = 0;
  private droppedFull = 0;
  private droppedRejected = 0;
  private failures = 0;
  private lastLogAt = 0;
  private suppressed = 0;
  private closed = false;

  /** @param options - sink, bounds, interval and logger. */
  constructor(private readonly options: ImpressionBufferOptions) {}

  /** Starts the flush timer (unref'd: it does not keep the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Queues one impression; returns at once. Dropped (and counted) when the buffer is full or closed.
   *
   * @param impression - the list as answered.
   */
  record(impression: ImpressionRecord): void {
    if (this.closed || this.queue.length >= this.options.maxBuffered) {
      this.droppedFull++;
      return;
    }
    this.queue.push(impression);
  }

  /**
   * Writes one batch from the head of the queue unless a write is in flight (then waits for it).
   * Never throws.
   */
  async flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.batchSize);
    this.writing = this.options.sink
      .write(batch)
      .then(
        () => {
          this.recorded += batch.length;
        },
        (err: unknown) => {
          this.failures++;
          const retryable = !(err instanceof ImpressionSinkError) || err.retryable;
          const message = err instanceof Error ? err.message : String(err);
          if (retryable) {
            // Back at the head, oldest first; what no longer fits is dropped (newest first).
            this.queue = batch.concat(this.queue);
            const over = this.queue.length - this.options.maxBuffered;
            if (over > 0) {
              this.queue.length = this.options.maxBuffered;
              this.droppedFull += over;
            }
          } else {
            this.droppedRejected += batch.length;
          }
          this.options.onFailure?.(`writing ${batch.length} impressions failed${retryable ? " (kept, retried)" : " (dropped)"}: ${message}`);
          this.logFailure(batch.length, retryable, message);
        },
      )
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  /** The counters since start (see {@link ImpressionBufferCounters}). */
  counters(): ImpressionBufferCounters {
    return {
      recorded: this.recorded,
      dropped: { bufferFull: this.droppedFull, rejected: this.droppedRejected },
      failures: this.failures,
      buffered: this.queue.length,
    };
  }

  /**
   * Stops the timer and tries to write what is queued, batch by batch, until the queue is empty or a
   * write fails (what is left then is lost); later {@link record} calls are dropped.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
    while (this.queue.length > 0) {
      const before = this.failures;
      await this.flush();
      if (this.failures !== before) break;
    }
  }

  private logFailure(count: number, retryable: boolean, message: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < (this.options.logIntervalMs ?? 10_000)) {
      this.suppressed++;
      return;
    }
    this.options.logger.warn(
      { impressions: count, retryable, buffered: this.queue.length, failuresSinceLastLine: this.suppressed, err: message },
      "impressions not recorded yet: recommendations are unaffected; CTR misses them if the buffer overflows",
    );
    this.lastLogAt = now;
    this.suppressed = 0;
  }
}
