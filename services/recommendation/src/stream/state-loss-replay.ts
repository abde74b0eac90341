import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { CoverageMarkers } from "../storage/trending/coverage-markers.js";

/** First and next offsets of one partition's retained log (decimal strings, as kafkajs gives them). */
export interface PartitionBounds {
  /** The first retained offset (log start). */
  readonly low: string;
  /** The offset the next message will get (high-water mark). */
  readonly high: string;
}

/** Reads the bounds of every partition of a topic. */
export type LogBounds = (topic: string) => Promise<Map<number, PartitionBounds>>;

/**
 * {@link LogBounds} through a kafkajs admin client (ListOffsets), connected on first use.
 *
 * @param kafka - the kafkajs client.
 * @returns the function and how to disconnect its admin client.
 */
export function kafkaLogBounds(kafka: Kafka): { bounds: LogBounds; close(): Promise<void> } {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  return {
    async bounds(topic) {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
    },
    async close() {
      if (connected) await admin.disconnect().catch(() => undefined);
    },
  };
}

/** Options of {@link StateLossReplay}. */
export interface StateLossReplayOptions {
  /** The consumer whose partitions are replayed (`seek`). */
  readonly consumer: Pick<Consumer, "seek">;
  /** The topic. */
  readonly topic: string;
  /** Where coverage is recorded: the same Redis as the statistics. */
  readonly markers: CoverageMarkers;
  /** Reads the partitions' retained log bounds. */
  readonly logBounds: LogBounds;
  /** The process logger. */
  readonly logger: Logger;
  /** How often the markers of the assigned partitions are checked, in ms (default 1000). */
  readonly checkIntervalMs?: number;
  /**
   * Runs before partitions are sought back, while their batches are held (`DeletedUsersSeed.seed`:
   * the tombstones of deleted users, so their replayed events are skipped). A failure cancels the
   * replay; the next check starts it again.
   */
  readonly beforeReplay?: () => Promise<unknown>;
}

/**
 * Rebuilds the trending statistics when Redis loses them (a restart without persistence, a flush, a
 * failover to an empty replica), by replaying the retained Kafka log.
 *
 * Detection: a coverage marker per partition ({@link CoverageMarkers}) is kept in the same Redis as
 * the statistics. It is checked after every applied chunk (in the same connection order as the
 * writes, so events that reached an empty Redis are never committed unnoticed), on every group
 * assignment, and every `checkIntervalMs` for idle partitions.
 *
 * Replay: a partition without a marker is sought (`consumer.seek`, which kafkajs commits) to its
 * first retained offset; once the first batch from there arrives, its marker is set and, in the same
 * MULTI, its offset watermark cleared ({@link CoverageMarkers.mark}). The watermarks and the dedup
 * windows were lost with the statistics, so each replayed event is counted once; the few events
 * that reached the new, empty Redis before the loss was noticed (at most a chunk per partition: the
 * check follows every chunk) raised the watermark, which the marker clears, and stay in their
 * partition's dedup window, which skips them when the replay reaches them (while fewer than
 * `TRENDING_DEDUP_WINDOW` events separate them from the replayed copy of a relay re-publish).
 *
 * What a replay rebuilds is what the log retains: the topic's `retention.ms`, 7 days by default
 * (`KAFKA_TOPIC_RETENTION_MS` of the engagement service, which creates the topic; the dev broker's
 * `log.retention.ms`, scripts/infra/kafka.ts). From those events it rebuilds exactly, as each event
 * is applied by its own time:
 * - the decayed trending scores (sorted sets, τ = 1 h by default): an event older than the 7 days
 *   would weigh e^(−168) ≈ 10^(−73) of its weight now, so nothing the scores still show is lost;
 * - the window counts of GetProductStats (W = τ) and the per-account cap hashes (windows of one
 *   hour of event time), which cover far less than the retention;
 * - the dedup state (watermarks at each partition's last offset, windows of its last events).
 * What it cannot rebuild: the all-time counts of the stats hashes (`P stats:<product>`, TTL
 * `TRENDING_STATS_TTL_SECONDS`, 30 days) of events older than the retention: after a rebuild they
 * count the retained days only. The per-user state (seen, opinions, positives) is not rebuilt from
 * the log at all: `UserStateRebuild` (user-state-rebuild.ts) rebuilds it from PostgreSQL through
 * EngagementService.ScanEvents, which keeps every event.
 *
 * A store that already held statistics before markers existed would be replayed once in full and
 * count its events twice, so such a store is started with a fresh Redis.
 */
export class StateLossReplay {
  private readonly checkIntervalMs: number;
  private assigned = new Set<number>();
  /**
   * Partitions being replayed: "requested" while the log bounds are read (no batch may be applied
   * then: it would be marked covered before the seek), "sought" once sought back to the log start,
   * until the first batch from there arrives.
   */
  private readonly pending = new Map<number, "requested" | "sought">();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private replays = 0;
  private readonly seekListeners: (() => void)[] = [];

  /** @param options - consumer, topic, markers, bounds reader, logger and interval. */
  constructor(private readonly options: StateLossReplayOptions) {
    this.checkIntervalMs = options.checkIntervalMs ?? 1_000;
  }

  /** How many partition replays were started since creation. */
  get replayCount(): number {
    return this.replays;
  }

  /**
   * Registers a function called after partitions were sought back (the consumer uses it to cut a
   * store-retry backoff short, so the replay starts at once).
   */
  onSeek(listener: () => void): void {
    this.seekListeners.push(listener);
  }

  /** Starts the periodic check. */
  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the periodic check. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Takes a new group assignment (kafkajs `GROUP_JOIN`) and checks its partitions at once.
   *
   * @param partitions - the partitions of the topic assigned to this member.
   */
  setAssignment(partitions: readonly number[]): void {
    this.assigned = new Set(partitions);
    for (const p of [...this.pending.keys()]) if (!this.assigned.has(p)) this.pending.delete(p);
    void this.check();
  }

  /**
   * Called before a batch of a partition is applied.
   *
   * @param partition - the batch's partition.
   * @param stale - whether kafkajs flags the batch stale (fetched before a seek).
   * @returns "skip" for a batch that must not be applied (a replay of its partition was requested
   *   but not sought yet, the batch was fetched before the seek, or the marker could not be written;
   *   it is fetched again), else "apply".
   */
  async beforeBatch(partition: number, stale: boolean): Promise<"skip" | "apply"> {
    const state = this.pending.get(partition);
    if (state === undefined) return "apply";
    if (state === "requested") {
      await new Promise((r) => setTimeout(r, 10));
      return "skip";
    }
    if (stale) return "skip";
    try {
      await this.options.markers.mark(this.options.topic, partition);
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      return "skip";
    }
    this.pending.delete(partition);
    this.options.logger.info({ topic: this.options.topic, partition }, "replaying the partition's retained log into the trending store");
    return "apply";
  }

  /**
   * Called after events of a partition were applied: checks that the store still holds the
   * partition's history, and starts a replay when it does not.
   *
   * @param partition - the partition.
   * @returns true when the store is intact; false when a replay was started (the batch must not be
   *   committed: kafkajs discards it and fetches from the log start).
   * @throws when the store is unreachable (the caller retries).
   */
  async verify(partition: number): Promise<boolean> {
    if (this.pending.has(partition)) return false;
    const missing = await this.options.markers.missing(this.options.topic, [partition]);
    if (missing.length === 0) return true;
    await this.replay(missing);
    return false;
  }

  /**
   * Checks the markers of every assigned partition (except those being replayed) and replays those
   * without one. Never throws: an unreachable store or broker is retried at the next check.
   */
  check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const partitions = [...this.assigned].filter((p) => !this.pending.has(p));
        const missing = await this.options.markers.missing(this.options.topic, partitions);
        if (missing.length > 0) await this.replay(missing);
      } catch (err) {
        this.options.logger.debug({ err: err instanceof Error ? err.message : String(err) }, "coverage check failed; retrying later");
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async replay(partitions: readonly number[]): Promise<void> {
    const fresh = partitions.filter((p) => this.assigned.has(p) && !this.pending.has(p));
    if (fresh.length === 0) return;
    for (const p of fresh) this.pending.set(p, "requested");
    let bounds: Map<number, PartitionBounds>;
    try {
      bounds = await this.options.logBounds(this.options.topic);
      await this.options.beforeReplay?.();
    } catch (err) {
      for (const p of fresh) this.pending.delete(p);
      throw err;
    }
    for (const p of fresh) {
      const b = bounds.get(p);
      if (!b || !this.pending.has(p)) {
        this.pending.delete(p);
        continue;
      }
      if (b.low === b.high) {
        // Nothing retained: there is nothing to rebuild, and later messages are read as usual.
        this.pending.delete(p);
        await this.options.markers.mark(this.options.topic, p);
        continue;
      }
      this.replays += 1;
      this.options.logger.warn(
        { topic: this.options.topic, partition: p, fromOffset: b.low, toOffset: b.high },
        "trending statistics lost (Redis restarted empty?): seeking the partition to its first retained offset",
      );
      this.options.consumer.seek({ topic: this.options.topic, partition: p, offset: b.low });
      this.pending.set(p, "sought");
    }
    for (const listener of this.seekListeners) listener();
  }
}
