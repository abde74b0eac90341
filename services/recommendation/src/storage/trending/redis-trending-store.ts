import type { Redis, ChainableCommander } from "ioredis";
import type { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { ENGAGEMENT_KINDS, engagementKind, type EngagementCounts, type EngagementKind } from "../../../../shared/src/event-kinds.js";
import { DEFAULT_EVENT_WEIGHTS, type EventWeights } from "./event-weights.js";
import { decayFactor } from "./forward-decay.js";
import { APPLY_SCRIPT, ERASE_USER_SCRIPT, REBASE_SCRIPT } from "./trending-scripts.js";
import type { LogPosition, TrendingEvent, TrendingScore, TrendingStore } from "./trending-store.js";

/** Options of {@link RedisTrendingStore}; every one has a default (see `trending-config.ts` for the env vars). */
export interface RedisTrendingStoreOptions {
  /** Decay time constant τ, in seconds (default 3600): an event's weight falls by e every τ. */
  readonly tauSeconds?: number;
  /** Weight of each event type (default {@link DEFAULT_EVENT_WEIGHTS}: CLICK 1, VIEW 1, LIKE 2, DISLIKE 0, RATE 1). */
  readonly weights?: Partial<EventWeights>;
  /** Prefix of every key (default `recsys:`). */
  readonly prefix?: string;
  /** Members kept per sorted set, the highest scores (default 10,000). */
  readonly topN?: number;
  /** TTL of the trending sorted sets, refreshed on every write, in seconds (default 7 days). */
  readonly keyTtlSeconds?: number;
  /**
   * Entries of each partition's dedup window (default {@link DEFAULT_DEDUP_WINDOW} = 20,000): the
   * (user id, event id) pairs of the last this many events applied from the partition, so the same
   * event published again at a later offset (the outbox relay after a crash between Kafka's ack and
   * its DELETE) is skipped while fewer than this many events of the partition came in between.
   */
  readonly dedupWindow?: number;
  /** TTL of the per-product stats hashes, refreshed on every write, in seconds; 0 = never expire (default 30 days). */
  readonly statsTtlSeconds?: number;
  /** Re-base when (now − t0)/τ exceeds this (default 30, so stored values stay below weight × e^30 per event). */
  readonly rebaseBound?: number;
  /** Length of the statistics window W, in seconds (default τ): see {@link RedisTrendingStore.productStats}. */
  readonly windowSeconds?: number;
  /** Resolution of the window, in seconds (default 60): one bucket hash per product and bucket; W / bucket ≤ 1440. */
  readonly windowBucketSeconds?: number;
  /**
   * The most weighted events (weight > 0) of one user on one product that raise the trending score
   * per cap window (default {@link DEFAULT_USER_CAP} = 3); further ones are still counted in the
   * stats but add nothing to trending, so one account cannot push a product up.
   */
  readonly userCap?: number;
  /** Length of the cap window, in seconds (default 3600): fixed windows of event time, ⌊t / length⌋. */
  readonly userCapWindowSeconds?: number;
  /** Clock, in ms since the epoch (default `Date.now`); injectable for tests. */
  readonly now?: () => number;
}

/** One product's statistics (see {@link RedisTrendingStore.productStats}). */
export interface ProductStats {
  /** Exact events applied per kind since the statistics began (or since the stats hash last expired). */
  readonly allTime: EngagementCounts;
  /** Exact events applied per kind whose time falls in the window (the last `windowSeconds`, by bucket). */
  readonly window: EngagementCounts;
  /** The window length W, in seconds. */
  readonly windowSeconds: number;
  /** The decayed trending score now (as `scores` and `top` report it). */
  readonly trendingScore: number;
}

/** Default of {@link RedisTrendingStoreOptions.userCap}: 3 weighted events per user, product and cap window. */
export const DEFAULT_USER_CAP = 3;

/** Default of {@link RedisTrendingStoreOptions.userCapWindowSeconds}: one hour. */
export const DEFAULT_USER_CAP_WINDOW_SECONDS = 3_600;

/**
 * Default of {@link RedisTrendingStoreOptions.dedupWindow}: 20,000 entries per partition, ten times
 * the outbox relay's default batch (`OUTBOX_BATCH_SIZE` = 2000 rows, services/engagement/src/config.ts),
 * the most events one relay re-publishes after a crash between Kafka's ack and its DELETE. The rows
 * stay in the outbox and are the oldest, so the next relay run (the restarted one, or another
 * relay once the crashed transaction rolled back) publishes them first: between the two copies
 * come at most the batches other relays had in flight, about R × 2000 events on one partition with
 * R relays, so this covers up to about ten relays. A copy further apart (a relay host gone without
 * closing its PostgreSQL connection: its rows stay locked until PostgreSQL notices, while the other
 * relays keep publishing) is counted twice. About 120 bytes per entry (sorted-set member
 * `<len>:<user id>:<event id>` and score; MEMORY USAGE in bench/redis-memory.ts), so about 2.3 MiB per
 * partition, whatever the traffic.
 */
export const DEFAULT_DEDUP_WINDOW = 20_000;

/** The field of events applied without a {@link LogPosition} in the watermark hash, and their window's suffix. */
const DIRECT_SOURCE = "direct";

/**
 * The key of the watermark hash: field `<topic>:<partition>` → the highest offset applied from that
 * partition (decimal). Shared with the coverage markers, which clear a partition's watermark when
 * its replay starts (coverage-markers.ts).
 *
 * @param prefix - the trending key prefix (`TRENDING_KEY_PREFIX`, default `recsys:`).
 */
export function logWatermarksKey(prefix: string): string {
  return `${prefix}trending:applied`;
}

/**
 * The field of one topic partition in the watermark hash ({@link logWatermarksKey}), and the
 * suffix of its dedup window key: `<topic>:<partition>` (a topic name holds no ':').
 *
 * @param topic - the topic.
 * @param partition - the partition number.
 */
export function logWatermarkField(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * An event's member in its partition's dedup window: `<length of user id>:<user id>:<event id>`. An event is
 * identified by the pair (user id, event id), as in the engagement database (an event_id is unique
 * per user only); the length prefix keeps the pair unambiguous although both ids may hold ':'.
 *
 * @param userId - the event's user.
 * @param eventId - the event's id.
 */
export function trendingEventKey(userId: string, eventId: string): string {
  return `${userId.length}:${userId}:${eventId}`;
}

/** Most buckets a window may span (W / bucket), which bounds the keys read per GetProductStats. */
export const MAX_WINDOW_BUCKETS = 1_440;

const APPLY_COMMAND = "recsysTrendingApply";
const REBASE_COMMAND = "recsysTrendingRebase";
const ERASE_COMMAND = "recsysTrendingEraseUser";

/** One deleted event of a user, as a user-deletion message lists it (see {@link RedisTrendingStore.eraseUser}). */
export interface ErasedEvent {
  /** The event's id. */
  readonly eventId: string;
  /** The product. */
  readonly productId: string;
  /** The kind of engagement. */
  readonly type: EventType;
  /** When it happened, in ms since the epoch. */
  readonly occurredAtMs: number;
  /** When the engagement service accepted it, in ms since the epoch (bounds the time the store clamped it to). */
  readonly acceptedAtMs: number;
}

/** Escapes Redis glob characters (`*?[]\`) so a string matches only itself in SCAN/ZSCAN MATCH. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\\]/g, (c) => `\\${c}`);
}

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * {@link TrendingStore} on Redis with forward exponential decay (see `forward-decay.ts`).
 *
 * Layout (prefix `P`, default `recsys:`):
 * - `P trending:t0` — the landmark t0 (ms since the epoch);
 * - `P trending:all` and `P trending:cat:<category in lower case>` — sorted sets of product id →
 *   Σ weight(type) × exp((t − t0)/τ); a read multiplies by exp(−(now − t0)/τ), so scores are
 *   "decayed weighted event counts now" and old scores are never rewritten as time passes;
 * - `P trending:keys` — the set of those sorted sets, for re-basing;
 * - `P trending:applied` — the watermarks: hash of `<topic>:<partition>` → the highest offset
 *   applied from that partition; an event at or below it is a redelivery (a consumer restarting
 *   from its last committed offset after a crash or a rebalance) and is skipped. One field per
 *   partition (plus `direct`, the sequence of events applied without a log position);
 * - `P trending:dedup:<topic>:<partition>` — the partition's dedup window: sorted set of
 *   `<user id length>:<user id>:<event id>` (see {@link trendingEventKey}) scored by offset, trimmed
 *   to the newest `dedupWindow` (default 20,000) entries, so the same event published again at a
 *   later offset (the outbox relay re-publishing a batch after a crash between Kafka's ack and its
 *   DELETE) is skipped while fewer than `dedupWindow` events of the partition came in between (an
 *   event's key is the pair (user id, event id), so the same event id from two users is two events;
 *   a re-publish goes to the same partition, the message key being the user id). Events without a
 *   log position share `P trending:dedup:direct`, scored by their sequence;
 * - `P stats:<product id>` — hash of exact event counts per type (`click`, `view`, `like`,
 *   `dislike`, `rate`), for statistics readers;
 * - `P win:<product id>:<bucket>` — the same counts for the events whose time falls in one window
 *   bucket (bucket = ⌊event time / bucket length⌋, default one minute), expiring (PEXPIRE) as soon
 *   as no window read can include it, so windowed counts are exact, deduplicated like the rest, and
 *   cost at most W / bucket + 1 small hashes per product active in the window;
 * - `P cap:<product id>:<cap window>` — the per-account cap: field user id → that user's weighted
 *   events on the product in the cap window (window = ⌊event time / cap length⌋, default one hour),
 *   expiring when the window ends (1 s later, for clock skew), or one cap length after a late or
 *   replayed event re-created it.
 *
 * One account's weight on one product's trending score is capped: only its first `userCap`
 * (default 3) events of weight > 0 on the product in each cap window (default 3600 s of event time)
 * increment the sorted sets; the rest are counted in the stats and window hashes (they are exact
 * counts of what happened) but not in trending. Ten thousand clicks of one account therefore score
 * at most 3 (at most 3 / (1 − e^(−window/τ)) ≈ 4.75 with the defaults even when spread over past
 * windows, since older windows have decayed), and twenty accounts clicking once outrank them. The
 * cap check runs inside the same Lua script after the dedup checks, so a redelivered event neither
 * counts twice nor uses up the cap, and a replay of the log rebuilds the same scores (windows are of
 * event time). Memory of the cap: one hash per product with weighted events in the current cap
 * window (plus, for late or replayed events, per past window they fall in, for one cap length), one
 * small field per distinct user in it, so it is bounded by the distinct (user, product) pairs of
 * about two cap windows of events.
 *
 * Each event is applied by one Lua script: dedup, stats, increments, trimming each set to its top N
 * (ZREMRANGEBYRANK: an evicted product starts again from 0 if it comes back, the usual top-k
 * approximation; since a fresh event weighs exp(Δ/τ) more than one Δ older, a product trending now
 * still enters a set full of older entries), TTL refresh, and re-basing when (now − t0)/τ exceeds the bound (every set scaled by
 * exp(−Δ/τ) with ZUNIONSTORE WEIGHTS, t0 moved to now), all atomic. Event times in the future are
 * clamped to now. Memory is bounded: at most top N members per set, one set per category, TTLs on
 * sets, stats, window buckets and cap hashes; the deduplication state is bounded by count, not by
 * time or traffic: one watermark field and one window of at most `dedupWindow` entries per
 * partition (neither has a TTL: like the coverage markers they must live exactly as long as the
 * statistics, and are lost with them). The families that still grow with traffic, within their
 * TTLs: the window buckets and cap hashes (distinct products, and distinct (user, product) pairs, of
 * about two windows) and the stats hashes (distinct products of the stats TTL).
 */
export class RedisTrendingStore implements TrendingStore {
  private readonly tauMs: number;
  private readonly weights: EventWeights;
  private readonly prefix: string;
  private readonly topN: number;
  private readonly keyTtlSeconds: number;
  private readonly dedupWindow: number;
  private readonly statsTtlSeconds: number;
  private readonly rebaseBound: number;
  private readonly windowSeconds: number;
  private readonly bucketMs: number;
  /** Buckets before the current one that a window read includes: ⌈W / bucket⌉. */
  private readonly windowBuckets: number;
  private readonly userCap: number;
  private readonly capWindowMs: number;
  private readonly now: () => number;

  /**
   * @param redis - an ioredis client (the store defines its two Lua commands on it).
   * @param options - decay, weights, key layout, bounds and clock.
   * @throws RangeError for a non-positive τ, top N, TTL, bound, window, dedup window, user cap or
   *   cap window, a window of more than 1440 buckets, or a negative or non-finite weight.
   */
  constructor(
    private readonly redis: Redis,
    options: RedisTrendingStoreOptions = {},
  ) {
    this.tauMs = positive("tauSeconds", options.tauSeconds ?? 3_600) * 1000;
    this.weights = { ...DEFAULT_EVENT_WEIGHTS, ...options.weights };
    for (const [type, w] of Object.entries(this.weights)) {
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight of ${type} must be a finite number >= 0, got ${w}`);
    }
    this.prefix = options.prefix ?? "recsys:";
    this.topN = positiveInteger("topN", options.topN ?? 10_000);
    this.keyTtlSeconds = positiveInteger("keyTtlSeconds", options.keyTtlSeconds ?? 7 * 86_400);
    this.dedupWindow = positiveInteger("dedupWindow", options.dedupWindow ?? DEFAULT_DEDUP_WINDOW);
    this.statsTtlSeconds = options.statsTtlSeconds ?? 30 * 86_400;
    if (!Number.isSafeInteger(this.statsTtlSeconds) || this.statsTtlSeconds < 0) {
      throw new RangeError(`statsTtlSeconds must be an integer >= 0, got ${this.statsTtlSeconds}`);
    }
    this.rebaseBound = positive("rebaseBound", options.rebaseBound ?? 30);
    if (this.rebaseBound > 600) throw new RangeError(`rebaseBound must be at most 600, got ${this.rebaseBound}`);
    this.windowSeconds = positiveInteger("windowSeconds", options.windowSeconds ?? Math.round(this.tauMs / 1000));
    const bucketSeconds = positiveInteger("windowBucketSeconds", options.windowBucketSeconds ?? 60);
    this.bucketMs = bucketSeconds * 1000;
    this.windowBuckets = Math.ceil(this.windowSeconds / bucketSeconds);
    if (this.windowBuckets > MAX_WINDOW_BUCKETS) {
      throw new RangeError(`windowSeconds / windowBucketSeconds must be at most ${MAX_WINDOW_BUCKETS}, got ${this.windowBuckets}`);
    }
    this.userCap = positiveInteger("userCap", options.userCap ?? DEFAULT_USER_CAP);
    this.capWindowMs = positiveInteger("userCapWindowSeconds", options.userCapWindowSeconds ?? DEFAULT_USER_CAP_WINDOW_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
    if (!(APPLY_COMMAND in redis)) redis.defineCommand(APPLY_COMMAND, { lua: APPLY_SCRIPT });
    if (!(REBASE_COMMAND in redis)) redis.defineCommand(REBASE_COMMAND, { lua: REBASE_SCRIPT, numberOfKeys: 2 });
    if (!(ERASE_COMMAND in redis)) redis.defineCommand(ERASE_COMMAND, { lua: ERASE_USER_SCRIPT, numberOfKeys: 4 });
  }

  /**
   * Removes a deleted user from the statistics (`ERASE_USER_SCRIPT`, one atomic script, then a
   * ZSCAN of the partition's dedup window for older entries of the user):
   * - the user's contribution to every trending sorted set is subtracted, exactly as the apply script
   *   added it: per product and cap window, the user's first `userCap` events of weight > 0 in
   *   acceptance order (the order the log delivered them), each weight × exp((t − t0)/τ) with t its
   *   event time clamped to its acceptance time;
   * - each event is taken off its product's stats hash and window bucket (never below 0);
   * - the user's fields of the cap hashes and their (user, event id) members of the dedup window go.
   * The subtraction runs once per tombstone (`tombstoneKey`, set NX with a TTL of `keyTtlSeconds`
   * inside the script), so a redelivered deletion message subtracts nothing twice; the deletions of
   * cap fields and dedup members are idempotent and run every time.
   *
   * Only the events listed can be subtracted: events accepted before the log's retention are not in
   * the message (their trending weight is below e^-168 of an event now; their stats counts stay).
   *
   * @param userId - the deleted user.
   * @param events - the user's deleted events, oldest first (acceptance order).
   * @param source - the partition the deletion message came from (the user's partition).
   * @param tombstoneKey - the key marking the deletion as applied (it must not contain the user id).
   * @returns true when the subtraction ran now, false when the tombstone was already there.
   * @throws when Redis is unreachable (nothing or everything of the script was applied).
   */
  async eraseUser(userId: string, events: readonly ErasedEvent[], source: Pick<LogPosition, "topic" | "partition">, tombstoneKey: string): Promise<boolean> {
    interface ProductPart { increments: number[]; fields: string[]; buckets: string[]; caps: Set<string> }
    const products = new Map<string, ProductPart>();
    const capUse = new Map<string, number>();
    for (const e of events) {
      const field = engagementKind(e.type);
      if (!field) continue;
      const part = products.get(e.productId) ?? { increments: [], fields: [], buckets: [], caps: new Set<string>() };
      products.set(e.productId, part);
      const t = Math.min(e.occurredAtMs, e.acceptedAtMs);
      part.fields.push(field);
      part.buckets.push(this.windowKey(e.productId, Math.floor(t / this.bucketMs)), field);
      const capKey = `${this.prefix}cap:${e.productId}:${Math.floor(t / this.capWindowMs)}`;
      const weight = this.weights[field];
      if (weight > 0) {
        part.caps.add(capKey);
        const used = (capUse.get(capKey) ?? 0) + 1;
        capUse.set(capKey, used);
        if (used <= this.userCap) part.increments.push(Math.round(t), weight);
      }
    }
    const args: (string | number)[] = [this.tauMs, this.keyTtlSeconds, userId, products.size];
    for (const [productId, part] of products) {
      args.push(productId, `${this.prefix}stats:${productId}`, part.increments.length / 2, ...part.increments);
      args.push(part.fields.length, ...part.fields, part.buckets.length / 2, ...part.buckets, part.caps.size, ...part.caps);
    }
    const dedupKey = this.dedupWindowKey(source);
    const members = events.map((e) => trendingEventKey(userId, e.eventId));
    args.push(members.length, ...members);
    const call = (this.redis as unknown as Record<string, ScriptCall>)[ERASE_COMMAND]!;
    const first = (await call.call(this.redis, this.landmarkKey, `${this.prefix}trending:keys`, tombstoneKey, dedupKey, ...args)) === 1;
    // Members of events older than the message's list (a quiet partition keeps them longer).
    const prefix = `${userId.length}:${userId}:`;
    let cursor = "0";
    do {
      const [next, found] = await this.redis.zscan(dedupKey, cursor, "MATCH", `${globLiteral(prefix)}*`, "COUNT", 1_000);
      cursor = next;
      const mine = found.filter((member, i) => i % 2 === 0 && member.startsWith(prefix));
      if (mine.length > 0) await this.redis.zrem(dedupKey, ...mine);
    } while (cursor !== "0");
    return first;
  }

  /** The key of the landmark t0. */
  get landmarkKey(): string {
    return `${this.prefix}trending:t0`;
  }

  /**
   * The sorted-set key of a category, or of all products.
   *
   * @param category - a category (any letter case), or undefined for all products.
   */
  trendingKey(category?: string): string {
    return category === undefined ? `${this.prefix}trending:all` : `${this.prefix}trending:cat:${category.trim().toLowerCase()}`;
  }

  /**
   * The key of a partition's dedup window (sorted set of `<len>:<user id>:<event id>` by offset).
   *
   * @param source - the partition (its offset is ignored), or undefined for events applied without one.
   */
  dedupWindowKey(source?: Pick<LogPosition, "topic" | "partition">): string {
    return `${this.prefix}trending:dedup:${source === undefined ? DIRECT_SOURCE : logWatermarkField(source.topic, source.partition)}`;
  }

  /** The key of the watermark hash (see {@link logWatermarksKey}). */
  get watermarksKey(): string {
    return logWatermarksKey(this.prefix);
  }

  /**
   * The highest offset applied from a partition.
   *
   * @returns the offset, or undefined when nothing was applied from it since the state began (or
   *   since its replay started).
   * @throws when Redis is unreachable.
   */
  async watermark(topic: string, partition: number): Promise<number | undefined> {
    const v = await this.redis.hget(this.watermarksKey, logWatermarkField(topic, partition));
    return v === null ? undefined : Number(v);
  }

  async apply(event: TrendingEvent): Promise<boolean> {
    const call = (this.redis as unknown as Record<string, ScriptCall>)[APPLY_COMMAND]!;
    const result = await call.apply(this.redis, this.applyArgs(event, this.now()));
    return result === 1 || result === 2;
  }

  async applyBatch(events: readonly TrendingEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const now = this.now();
    const pipeline = this.redis.pipeline();
    const call = (pipeline as unknown as Record<string, ScriptCall>)[APPLY_COMMAND]!;
    for (const event of events) call.apply(pipeline, this.applyArgs(event, now));
    const results = await pipeline.exec();
    if (!results) throw new Error("trending store: pipeline was discarded");
    let applied = 0;
    for (const [err, value] of results) {
      if (err) throw err;
      if (value === 1 || value === 2) applied += 1;
    }
    return applied;
  }

  async top(category: string | undefined, limit: number): Promise<TrendingScore[]> {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    if (limit === 0) return [];
    const [t0, raw] = await this.readAtomically((m) =>
      m.zrevrange(this.trendingKey(category), 0, limit - 1, "WITHSCORES"),
    );
    const pairs = (raw as string[] | null) ?? [];
    if (t0 === undefined) return [];
    const factor = decayFactor(this.now(), t0, this.tauMs);
    const out: TrendingScore[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const score = Number(pairs[i + 1]) * factor;
      if (score > 0) out.push({ productId: pairs[i]!, score });
    }
    return out;
  }

  async scores(productIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (productIds.length === 0) return result;
    const [t0, raw] = await this.readAtomically((m) => m.zmscore(this.trendingKey(), ...productIds));
    const values = (raw as (string | null)[] | null) ?? [];
    const factor = t0 === undefined ? 0 : decayFactor(this.now(), t0, this.tauMs);
    productIds.forEach((id, i) => {
      const v = values[i];
      result.set(id, v === null || v === undefined ? 0 : Number(v) * factor);
    });
    return result;
  }

  /**
   * Reads the exact per-type event counts of products (the stats hashes).
   *
   * @param productIds - the products.
   * @returns a map holding every requested id; types without events count 0.
   * @throws when Redis is unreachable.
   */
  async stats(productIds: readonly string[]): Promise<Map<string, EngagementCounts>> {
    const result = new Map<string, EngagementCounts>();
    if (productIds.length === 0) return result;
    const pipeline = this.redis.pipeline();
    for (const id of productIds) pipeline.hgetall(`${this.prefix}stats:${id}`);
    const rows = (await pipeline.exec()) ?? [];
    productIds.forEach((id, i) => {
      const [err, value] = rows[i] ?? [new Error("missing reply"), null];
      if (err) throw err;
      result.set(id, toCounts((value ?? {}) as Record<string, string>));
    });
    return result;
  }

  /**
   * One product's statistics, read atomically (MULTI/EXEC): the exact per-type counts all time and
   * over the window, the window length, and the decayed trending score now.
   *
   * The window is the last W seconds at the resolution of one bucket: the current bucket and the
   * ⌈W / bucket⌉ before it, so it spans between W and W + one bucket (61 one-minute buckets for the
   * default W = 3600 s). Events are placed by their time (`occur_time`, clamped to the moment they
   * were applied), the time the trending score decays by.
   *
   * @param productId - the product.
   * @throws when Redis is unreachable.
   */
  async productStats(productId: string): Promise<ProductStats> {
    const now = this.now();
    const current = Math.floor(now / this.bucketMs);
    const multi = this.redis.multi().get(this.landmarkKey).hgetall(`${this.prefix}stats:${productId}`).zscore(this.trendingKey(), productId);
    for (let b = current - this.windowBuckets; b <= current; b += 1) multi.hgetall(this.windowKey(productId, b));
    const results = await multi.exec();
    if (!results) throw new Error("trending store: transaction was discarded");
    for (const [err] of results) if (err) throw err;
    const [t0, allTime, score, ...buckets] = results.map(([, value]) => value) as [
      string | null,
      Record<string, string>,
      string | null,
      ...Record<string, string>[],
    ];
    const window = toCounts({});
    for (const bucket of buckets) {
      for (const kind of ENGAGEMENT_KINDS) window[kind] += Number(bucket[kind] ?? 0);
    }
    const factor = t0 === null ? 0 : decayFactor(now, Number(t0), this.tauMs);
    return {
      allTime: toCounts(allTime),
      window,
      windowSeconds: this.windowSeconds,
      trendingScore: score === null ? 0 : Number(score) * factor,
    };
  }

  /** The key of a product's window bucket. */
  private windowKey(productId: string, bucket: number): string {
    return `${this.prefix}win:${productId}:${bucket}`;
  }

  /**
   * Re-bases now: moves the landmark to now and scales every trending set by exp(−Δ/τ), atomically.
   * Scores read afterwards are unchanged (up to rounding). The store also does this by itself when
   * (now − t0)/τ exceeds the bound; this method is for maintenance and tests.
   *
   * @returns true when re-based, false when nothing was stored yet.
   */
  async rebase(): Promise<boolean> {
    const call = (this.redis as unknown as Record<string, ScriptCall>)[REBASE_COMMAND]!;
    const result = await call.call(this.redis, this.landmarkKey, `${this.prefix}trending:keys`, Math.round(this.now()), this.tauMs);
    return result === 1;
  }

  /**
   * Reads the landmark t0.
   *
   * @returns t0 in ms since the epoch, or undefined when nothing was stored yet.
   */
  async landmark(): Promise<number | undefined> {
    const v = await this.redis.get(this.landmarkKey);
    return v === null ? undefined : Number(v);
  }

  private applyArgs(event: TrendingEvent, now: number): (string | number)[] {
    const field = engagementKind(event.type);
    if (!field) throw new TypeError(`trending event ${event.eventId}: unknown event type ${event.type}`);
    if (event.eventId.length === 0 || event.userId.length === 0 || event.productId.length === 0) {
      throw new TypeError("trending event: event id, user id and product id are required");
    }
    if (!Number.isFinite(event.occurredAtMs)) throw new TypeError(`trending event ${event.eventId}: bad time`);
    const source = event.source;
    if (source !== undefined) {
      if (!TOPIC_NAME.test(source.topic)) throw new TypeError(`trending event ${event.eventId}: bad source topic ${JSON.stringify(source.topic)}`);
      if (!Number.isSafeInteger(source.partition) || source.partition < 0) {
        throw new TypeError(`trending event ${event.eventId}: source partition must be an integer >= 0, got ${source.partition}`);
      }
      if (!Number.isSafeInteger(source.offset) || source.offset < 0) {
        throw new TypeError(`trending event ${event.eventId}: source offset must be a safe integer >= 0, got ${source.offset}`);
      }
    }
    const categoryKeys = new Set<string>();
    for (const c of event.categories) if (c.trim().length > 0) categoryKeys.add(this.trendingKey(c));
    // The window bucket of the event's time (clamped to now); it is read until bucket + ⌈W/b⌉ + 1
    // starts, and expires then (1 s later, for clock skew between processes).
    const bucket = Math.floor(Math.min(event.occurredAtMs, now) / this.bucketMs);
    const readableUntil = (bucket + this.windowBuckets + 1) * this.bucketMs;
    const windowTtlMs = readableUntil > now ? readableUntil - now + 1_000 : 0;
    // The cap window of the event's time: kept until it ends (1 s later, for clock skew), or one cap
    // length when it has ended already (a late or replayed event), so a replay shares one counter.
    const capWindow = Math.floor(Math.min(event.occurredAtMs, now) / this.capWindowMs);
    const capEnds = (capWindow + 1) * this.capWindowMs;
    const capTtlMs = capEnds > now ? capEnds - now + 1_000 : this.capWindowMs;
    const keys = [
      this.landmarkKey,
      this.watermarksKey,
      this.dedupWindowKey(source),
      `${this.prefix}stats:${event.productId}`,
      `${this.prefix}trending:keys`,
      this.windowKey(event.productId, bucket),
      `${this.prefix}cap:${event.productId}:${capWindow}`,
      this.trendingKey(),
      ...categoryKeys,
    ];
    return [
      keys.length,
      ...keys,
      Math.round(now),
      Math.round(event.occurredAtMs),
      this.weights[field],
      this.tauMs,
      field,
      this.dedupWindow,
      this.keyTtlSeconds,
      this.topN,
      this.statsTtlSeconds,
      this.rebaseBound,
      event.productId,
      Math.round(windowTtlMs),
      event.userId,
      this.userCap,
      Math.round(capTtlMs),
      source === undefined ? DIRECT_SOURCE : logWatermarkField(source.topic, source.partition),
      source === undefined ? -1 : String(source.offset),
      trendingEventKey(event.userId, event.eventId),
    ];
  }

  /** Runs reads in MULTI/EXEC together with GET t0, so a concurrent re-base cannot split them. */
  private async readAtomically(read: (m: ChainableCommander) => ChainableCommander): Promise<[number | undefined, unknown]> {
    const multi = this.redis.multi().get(this.landmarkKey);
    const results = await read(multi).exec();
    if (!results) throw new Error("trending store: transaction was discarded");
    const [[t0Err, t0], [readErr, value]] = results as [[Error | null, unknown], [Error | null, unknown]];
    if (t0Err) throw t0Err;
    if (readErr) throw readErr;
    return [t0 === null || t0 === undefined ? undefined : Number(t0), value];
  }
}

/** Reads a stats hash (one field per kind, absent fields 0) as counts, in {@link ENGAGEMENT_KINDS} order. */
function toCounts(h: Record<string, string>): Record<EngagementKind, number> {
  const counts = {} as Record<EngagementKind, number>;
  for (const kind of ENGAGEMENT_KINDS) counts[kind] = Number(h[kind] ?? 0);
  return counts;
}
