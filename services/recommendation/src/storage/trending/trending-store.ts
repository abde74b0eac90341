/**
 * The trending statistics' own vocabulary, imported by the store (redis-trending-store.ts) and by
 * its users (the trending consumer, the event decoder): the event as applied, a scored product and
 * the store's interface. Import `RedisTrendingStore` from redis-trending-store.ts.
 */
import type { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";

/**
 * Where an event sits in the Kafka log: the message it was decoded from. The store keeps, per topic
 * and partition, the highest offset it applied (a watermark), so a consumer's redelivery (after a
 * crash or a rebalance, from the last committed offset) is skipped at O(partitions) memory.
 */
export interface LogPosition {
  /** The topic, `[A-Za-z0-9._-]` (Kafka's topic name rule), e.g. `engagement-events`. */
  readonly topic: string;
  /** The partition number, an integer ≥ 0. */
  readonly partition: number;
  /**
   * The message's offset within the partition, a safe integer ≥ 0 (kafkajs gives a decimal string:
   * pass `Number(message.offset)`, exact below 2^53). The events of one partition must be applied in
   * increasing offset order, as a consumer reads them: an offset at or below the partition's
   * watermark is skipped as already applied.
   */
  readonly offset: number;
}

/** One engagement event as the trending statistics see it (decoded from an `EngagementEvent`). */
export interface TrendingEvent {
  /**
   * The event's id; with {@link userId} the idempotency key: a (user, event id) pair is applied at
   * most once while it is in its partition's dedup window (the last `dedupWindow` events applied
   * from that partition, see `RedisTrendingStore`), and the same event id from two users is two
   * events.
   */
  readonly eventId: string;
  /** The user who engaged: half of the idempotency key, and whose weight on a product is capped per window. */
  readonly userId: string;
  /** The product engaged with. */
  readonly productId: string;
  /** The product's categories when the event was accepted, as the catalog spells them. */
  readonly categories: readonly string[];
  /** The kind of engagement (CLICK, VIEW, LIKE, DISLIKE, RATE). */
  readonly type: EventType;
  /** The rating for RATE (0.5 to 5 stars), 0 or absent otherwise (the per-user state reads it; trending does not). */
  readonly value?: number;
  /** When the engagement happened, in ms since the epoch. */
  readonly occurredAtMs: number;
  /**
   * The Kafka message the event came from (the trending consumer always sets it). Absent for an
   * event applied outside the log (tests, tools): such events have no watermark and are deduplicated
   * by (user, event id) only, in a dedup window of their own (see `RedisTrendingStore`).
   */
  readonly source?: LogPosition;
}

/** A product and its trending score. */
export interface TrendingScore {
  readonly productId: string;
  /**
   * Decayed weighted event count now: Σ weight(type) × exp(−(now − t)/τ) over the product's events,
   * counting at most the first few weighted events of each user per product and window (the
   * per-account cap of the store, e.g. `RedisTrendingStore`'s 3 per hour).
   */
  readonly score: number;
}

/**
 * Time-decayed engagement statistics ("trending"). Scores are decayed event counts: each event adds
 * weight(type) × exp(−age/τ), so an event now counts its weight and one τ ago counts 1/e of it
 * (forward decay, Cormode et al., "Forward Decay: A Practical Time Decay Model for Streaming
 * Systems", ICDE 2009, https://dimacs.rutgers.edu/~graham/pubs/papers/fwddecay.pdf). One account's
 * contribution to one product's score is capped per window (a few weighted events), so a single
 * user cannot push a product to the top.
 */
export interface TrendingStore {
  /**
   * Applies one event at most once, atomically: skipped when its log offset is at or below its
   * partition's watermark (a redelivery), or when its (user id, event id) is in the partition's
   * dedup window (the same event published again at a later offset, e.g. by the outbox relay).
   *
   * @returns true when applied now (even when the per-account cap kept it out of the trending
   *   score), false when skipped as a duplicate.
   * @throws when the store is unreachable (nothing or the whole event was applied, never part of it).
   */
  apply(event: TrendingEvent): Promise<boolean>;
  /**
   * Applies events in one round trip, in the given order, each atomically and at most once (as
   * {@link apply}); the events of one partition must come in increasing offset order.
   *
   * @returns how many were applied now (duplicates excluded).
   * @throws when the store is unreachable; some events may have been applied, and applying the
   *   batch again is safe (duplicates are skipped).
   */
  applyBatch(events: readonly TrendingEvent[]): Promise<number>;
  /**
   * The highest-scoring products now, highest first.
   *
   * @param category - a category (any letter case), or undefined for all products.
   * @param limit - the most entries to return (0 returns none).
   * @throws when the store is unreachable.
   */
  top(category: string | undefined, limit: number): Promise<TrendingScore[]>;
  /**
   * The decayed scores now of the given products.
   *
   * @returns a map holding every requested id; products without recent events score 0.
   * @throws when the store is unreachable.
   */
  scores(productIds: readonly string[]): Promise<Map<string, number>>;
}
