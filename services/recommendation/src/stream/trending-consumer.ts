import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { Logger } from "pino";
import { Outage, WakeableSleep } from "../../../shared/src/backoff.js";
import type { TrendingEvent, TrendingStore } from "../storage/trending/trending-store.js";
import type { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import { decodeEngagementEvent } from "./decode-engagement-event.js";
import { context, ROOT_CONTEXT, trace, type Span } from "@opentelemetry/api";
import { contextFromHeaders, endSpans, SpanKind, startMessagingSpan } from "../../../shared/src/trace-context.js";
import type { StateLossReplay } from "./state-loss-replay.js";
import { decodeUserDeletion, type UserDeletionNotice } from "./decode-user-deletion.js";
import type { UserErasure } from "./user-erasure.js";

/** Options of {@link createTrendingKafkaConsumer}. */
export interface TrendingKafkaConsumerOptions {
  /** The consumer group id (default `recsys-trending`). */
  readonly groupId?: string;
  /** Longest time the broker holds a fetch with no new data, in ms (default 100: low latency). */
  readonly maxWaitTimeInMs?: number;
  /**
   * Session timeout, in ms (default 10000): how long the group waits for a member that stopped
   * heartbeating (a killed process) before giving its partitions to the others or to its restarted
   * self, so it bounds how long trending stalls after a crash. kafkajs' default is 30000.
   */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval, in ms (default 1000; at most a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
}

/**
 * Creates the kafkajs consumer of the trending consumer group, tuned for latency: the broker answers
 * a fetch as soon as one byte is available (`minBytes` 1) or after `maxWaitTimeInMs` (100 ms), so an
 * event reaches Redis within a few ms of its publication; and for recovery, with a 10 s session
 * timeout and 1 s heartbeats, so a killed member's partitions move on within about 10 s.
 *
 * @param kafka - the kafkajs client.
 * @param options - group id and fetch wait.
 */
export function createTrendingKafkaConsumer(kafka: Kafka, options: TrendingKafkaConsumerOptions = {}): Consumer {
  return kafka.consumer({
    groupId: options.groupId ?? "recsys-trending",
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
    minBytes: 1,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
    allowAutoTopicCreation: false,
  });
}

/** Options of {@link TrendingConsumer}. */
export interface TrendingConsumerOptions {
  /** The topic (normally `engagement-events`). */
  readonly topic: string;
  /** Whether a new consumer group starts at the oldest retained message (default true; replays are deduplicated and decayed by event time). */
  readonly fromBeginning?: boolean;
  /**
   * Most events applied per Redis round trip (default 500 here; the process passes
   * `TRENDING_APPLY_CHUNK`, whose default is 1000, see consumer-config.ts).
   */
  readonly chunkSize?: number;
  /** First wait after a store failure, in ms (default 100; doubled per failure). */
  readonly initialBackoffMs?: number;
  /** Longest wait between store retries, in ms (default 5000). */
  readonly maxBackoffMs?: number;
  /**
   * Rebuilds the statistics from the retained log when the store loses them (see
   * {@link StateLossReplay}); built on the same kafkajs consumer. Omit to never replay.
   */
  readonly replay?: StateLossReplay;
  /**
   * The per-user state (seen products, recent positives) to keep from the same events: each chunk
   * is applied to it after the trending store and before the commit, in the same retry loop (a
   * failure of either retries the whole chunk; re-applying is harmless to both). Omit to keep none.
   */
  readonly userState?: Pick<RedisUserStateStore, "applyBatch">;
  /**
   * What user-deletion messages do (see {@link UserErasure}): the events of deleted users are
   * skipped, and a deletion removes the user from every Redis structure, in log order (after the
   * user's earlier events of the chunk, before its later messages). Omit to ignore deletions (they
   * are then counted as malformed).
   */
  readonly erasure?: UserErasure;
}

/** Counters of a {@link TrendingConsumer} since it started. */
export interface TrendingConsumerMetrics {
  /** Events applied to the store. */
  readonly applied: number;
  /** Events skipped as already applied (redeliveries). */
  readonly duplicates: number;
  /** Events that changed a user's state (0 without a user-state store; redeliveries and older events change nothing). */
  readonly userStateChanges: number;
  /** Messages skipped because they could not be decoded. */
  readonly malformed: number;
  /** User-deletion messages applied (redeliveries included). */
  readonly deletions: number;
  /** Events skipped because their user was deleted. */
  readonly deletedUserEvents: number;
  /** Kafka batches completed. */
  readonly batches: number;
  /** Failed store calls (each retried). */
  readonly storeFailures: number;
  /** Whether the store is failing now. */
  readonly storeDown: boolean;
}

/**
 * The trending consumer: a member of a Kafka consumer group on `engagement-events` that applies
 * every `EngagementEvent` to the {@link TrendingStore}.
 *
 * Per batch (`eachBatch`, offsets resolved by hand): messages are decoded; a malformed one is logged
 * and skipped (its offset still advances, so one bad message cannot block the partition); the good
 * ones are applied with `applyBatch` in chunks (to the trending store, then to the per-user state
 * when one is given), and only then are their offsets resolved and
 * committed, with a heartbeat per chunk. When the store fails (Redis down), the partition is paused
 * and the same chunk is retried with exponential backoff (heartbeating meanwhile, so the group keeps
 * the partition) until it succeeds; nothing is committed in between, so no event is lost, and
 * re-applying is harmless: each event carries its message's topic, partition and offset, and the
 * store skips offsets at or below the partition's watermark (and a (user_id, event_id) published
 * again at a later offset, within its dedup window). One warning is logged when an outage starts and
 * one line when it ends.
 *
 * With a {@link StateLossReplay}, a store that lost its state (Redis restarted empty) is noticed
 * after the chunk's writes and before its commit, and rebuilt by replaying the retained log.
 */
export class TrendingConsumer {
  private readonly chunkSize: number;
  /** The store's outage in progress, if any, and the back-off between retries. */
  private readonly outage: Outage;
  /** The back-off sleep, cut short by {@link stop} and by a replay's seek. */
  private readonly sleeper = new WakeableSleep();
  private stopping = false;
  /** The consumer group, once joined (for the spans' `messaging.consumer.group.name`). */
  private groupId = "";
  private counters = { applied: 0, duplicates: 0, userStateChanges: 0, malformed: 0, deletions: 0, deletedUserEvents: 0, batches: 0, storeFailures: 0 };

  /**
   * @param consumer - a kafkajs consumer (see {@link createTrendingKafkaConsumer}), not yet connected.
   * @param store - where events are applied.
   * @param logger - the process logger.
   * @param options - topic, chunking and backoff.
   */
  constructor(
    private readonly consumer: Consumer,
    private readonly store: TrendingStore,
    private readonly logger: Logger,
    private readonly options: TrendingConsumerOptions,
  ) {
    this.chunkSize = options.chunkSize ?? 500;
    this.outage = new Outage({ initialMs: options.initialBackoffMs ?? 100, maxMs: options.maxBackoffMs ?? 5_000 });
  }

  /**
   * Connects, subscribes and starts consuming in the background.
   *
   * @throws KafkaJS errors when the brokers cannot be reached or the topic does not exist.
   */
  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.logger.error(
        { err: e.payload.error?.message, restart: e.payload.restart },
        "trending consumer crashed" + (e.payload.restart ? "; kafkajs restarts it" : ""),
      );
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.groupId = e.payload.groupId;
    });
    const replay = this.options.replay;
    if (replay) {
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
        replay.setAssignment(e.payload.memberAssignment[this.options.topic] ?? []);
      });
      replay.onSeek(() => this.sleeper.interrupt());
      replay.start();
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.info({ topic: this.options.topic }, "trending consumer started");
  }

  /** Stops: a store retry in progress is abandoned (its offsets stay uncommitted), then the consumer leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.options.replay?.stop();
    this.sleeper.stop();
    await this.consumer.disconnect();
  }

  /** The consumer's counters. */
  metrics(): TrendingConsumerMetrics {
    return { ...this.counters, storeDown: this.outage.active };
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause } = payload;
    const messages = batch.messages;
    if (this.options.replay && (await this.options.replay.beforeBatch(batch.partition, isStale())) === "skip") return;
    for (let start = 0; start < messages.length; start += this.chunkSize) {
      const chunk = messages.slice(start, start + this.chunkSize);
      let events: TrendingEvent[] = [];
      // One CONSUMER span per traced message (tracing on), the child of the relay's publish span,
      // covering its application to Redis; a chunk's Redis calls run under a span linking them all.
      let spans: Span[] = [];
      const alive = (): boolean => isRunning() && !isStale();
      /** Applies the events gathered so far; false when the rest must stay uncommitted. */
      const flush = async (): Promise<boolean> => {
        if (events.length === 0) return true;
        const pending = events;
        const pendingSpans = spans;
        events = [];
        spans = [];
        const apply = (): Promise<boolean> => this.applyWithRetry(pending, heartbeat, pause, alive, batch.partition);
        if (pendingSpans.length === 0) return apply();
        const chunkSpan = startMessagingSpan(`${batch.topic} apply`, SpanKind.INTERNAL, ROOT_CONTEXT, { "messaging.batch.message_count": pending.length }, pendingSpans.map((span) => ({ context: span.spanContext() })));
        const done = await context.with(trace.setSpan(ROOT_CONTEXT, chunkSpan), apply).catch((err: unknown) => {
          endSpans([...pendingSpans, chunkSpan], err);
          throw err;
        });
        endSpans([...pendingSpans, chunkSpan]);
        return done;
      };
      for (const m of chunk) {
        const decoded = decodeEngagementEvent(m.value);
        if (decoded.ok) {
          events.push({ ...decoded.event, source: { topic: batch.topic, partition: batch.partition, offset: Number(m.offset) } });
          if (m.headers?.traceparent !== undefined) {
            spans.push(
              startMessagingSpan(`${batch.topic} process`, SpanKind.CONSUMER, contextFromHeaders(m.headers), {
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": batch.topic,
                "messaging.destination.partition.id": String(batch.partition),
                "messaging.kafka.offset": Number(m.offset),
                "messaging.consumer.group.name": this.groupId,
                "messaging.message.id": decoded.event.eventId,
              }),
            );
          }
          continue;
        }
        const deletion = this.options.erasure ? decodeUserDeletion(m.value) : undefined;
        if (deletion) {
          // Log order: the user's earlier events first, then the deletion, then what follows.
          if (!(await flush())) return;
          if (!(await this.eraseWithRetry(deletion, heartbeat, pause, alive, batch.topic, batch.partition))) return;
          continue;
        }
        this.counters.malformed += 1;
        this.logger.warn(
          { topic: batch.topic, partition: batch.partition, offset: m.offset, reason: decoded.reason },
          "skipping malformed engagement message",
        );
      }
      if (!(await flush())) return; // stopping or reassigned: leave the rest uncommitted, it is redelivered
      resolveOffset(chunk[chunk.length - 1]!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    this.counters.batches += 1;
  }

  /**
   * Applies events until it works.
   *
   * @returns true when applied; false when the consumer stops, the partition's position moved
   *   (seek) first, or the store turned out to have lost its state (a replay was started).
   * @throws the heartbeat's error when the group is rebalancing: kafkajs then rejoins and the
   *   partition's next owner starts from the last committed offset.
   */
  private async applyWithRetry(
    events: readonly TrendingEvent[],
    heartbeat: () => Promise<void>,
    pause: () => () => void,
    alive: () => boolean,
    partition: number,
  ): Promise<boolean> {
    let resume: (() => void) | undefined;
    /** Events the trending store applied anew at its first success for this chunk. */
    let applied: number | undefined;
    /** Events of deleted users left out. */
    let skipped = 0;
    try {
      for (;;) {
        if (this.stopping || !alive()) return false;
        try {
          let live = events;
          if (this.options.erasure) {
            const gone = await this.options.erasure.deletedAmong(events.map((e) => e.userId));
            if (gone.size > 0) {
              live = events.filter((e) => !gone.has(e.userId));
              skipped = events.length - live.length;
            }
          }
          const newlyApplied = await this.store.applyBatch(live);
          // A retry after a user-state failure finds the chunk's offsets under the watermark: count the first success.
          applied ??= newlyApplied;
          const userStateChanges = this.options.userState ? await this.options.userState.applyBatch(live) : 0;
          this.counters.applied += applied;
          this.counters.duplicates += live.length - applied;
          this.counters.deletedUserEvents += skipped;
          this.counters.userStateChanges += userStateChanges;
          // After the writes, on the same connection: an empty Redis is noticed before any commit.
          if (this.options.replay && !(await this.options.replay.verify(partition))) return false;
          const ended = this.outage.recover();
          if (ended) {
            this.logger.info(
              { outageMs: ended.outageMs, failedAttempts: ended.failedAttempts },
              "trending store reachable again; consuming",
            );
          }
          return true;
        } catch (err) {
          this.counters.storeFailures += 1;
          if (this.outage.fail()) {
            this.logger.warn(
              { err: err instanceof Error ? err.message : String(err), events: events.length },
              "trending store failing; pausing the partition and retrying without committing",
            );
          }
          resume ??= pause();
          await heartbeat();
          await this.sleeper.sleep(this.outage.delayMs());
        }
      }
    } finally {
      resume?.();
    }
  }


  /**
   * Applies one user deletion until it works (same back-off, pause and heartbeat as events).
   *
   * @returns true when applied; false when the consumer stops or the partition moved first.
   */
  private async eraseWithRetry(
    deletion: UserDeletionNotice,
    heartbeat: () => Promise<void>,
    pause: () => () => void,
    alive: () => boolean,
    topic: string,
    partition: number,
  ): Promise<boolean> {
    let resume: (() => void) | undefined;
    try {
      for (;;) {
        if (this.stopping || !alive()) return false;
        try {
          const first = await this.options.erasure!.erase(deletion, { topic, partition });
          this.counters.deletions += 1;
          this.logger.info({ partition, events: deletion.events.length, first }, "user deletion applied: the user's per-user state, cap entries and dedup entries removed, contributions subtracted");
          this.outage.recover();
          return true;
        } catch (err) {
          this.counters.storeFailures += 1;
          if (this.outage.fail()) {
            this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "trending store failing on a user deletion; retrying without committing");
          }
          resume ??= pause();
          await heartbeat();
          await this.sleeper.sleep(this.outage.delayMs());
        }
      }
    } finally {
      resume?.();
    }
  }
}
