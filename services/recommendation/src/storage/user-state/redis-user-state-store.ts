import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { engagementKind } from "../../../../shared/src/event-kinds.js";
import { deletedUserKey } from "./deleted-user-key.js";
import { rulesFingerprint, type UserStateRules } from "./user-state-config.js";
import { APPLY_USER_EVENT_SCRIPT, EXTEND_REBUILD_SCRIPT, FINISH_REBUILD_SCRIPT } from "./user-state-scripts.js";

/** One engagement event as the per-user state sees it (a `TrendingEvent` is one). */
export interface UserStateEvent {
  /** The user. */
  readonly userId: string;
  /** The product. */
  readonly productId: string;
  /** The kind of engagement. */
  readonly type: EventType;
  /** The rating for RATE (0.5 to 5 stars), 0 or absent otherwise. */
  readonly value?: number;
  /** When it happened, in ms since the epoch. */
  readonly occurredAtMs: number;
}

/** One user's stored state, as a request reads it. */
export interface StoredUserState {
  /** Changes whenever the user's state does (a counter; "0" for a user without state). */
  readonly version: string;
  /** The user's most recent positives, most recent first, distinct. */
  readonly positives: string[];
  /** The products the user has seen (the most recent `maxSeen`). */
  readonly seen: string[];
}

/** Whether the store holds every user's state under the reader's rules. */
export type UserStateReadiness =
  /** Built (scan of the engagement database done) with these rules, kept by the stream since. */
  | "ready"
  /** Never built, or lost (Redis restarted empty): readers must use another source. */
  | "missing"
  /** Built with other rules (positive rating, seen kinds or bounds changed): to be rebuilt. */
  | "stale";

const APPLY_COMMAND = "recsysUserStateApply";
const FINISH_COMMAND = "recsysUserStateFinishRebuild";
const EXTEND_COMMAND = "recsysUserStateExtendRebuild";

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Each user's recent positives and seen products in Redis, kept by the trending consumer from the
 * engagement stream, so that a recommendation reads them in one round trip instead of asking
 * EngagementService for up to 5,000 events per call.
 *
 * Layout (prefix `P`, default `recsys:`; `<u>` = `<user id length>:<user id>`, unambiguous
 * although ids may hold ':'), no TTLs, every set bounded by count:
 * - `P user:<u>:seen` — sorted set, product → time (ms) of the user's latest event of a seen kind
 *   (`RECOMMEND_SEEN_EVENT_TYPES`), the `maxSeen` most recent;
 * - `P user:<u>:op` — sorted set, product → time of the user's latest explicit opinion (like,
 *   dislike, rating), the `maxSeen` most recent;
 * - `P user:<u>:pos` — sorted set, product → time, the products whose latest opinion is positive
 *   (a like, or a rating ≥ `positiveRating`), the `maxPositives` most recent;
 * - `P user:<u>:ver` — a counter incremented by every change, so readers cache until it moves;
 * - `P user:ready` — the readiness marker: the rules' fingerprint, set when a rebuild finished;
 * - `P user:rebuild` — the rebuild lock (a token, with a TTL its holder extends).
 *
 * Every update is last-writer-wins by event time (see `APPLY_USER_EVENT_SCRIPT`), so the stream, a
 * replay of it and a scan of the engagement database can apply the same events in any order, any
 * number of times: no dedup keys are needed, and memory per user is at most
 * 2 × `maxSeen` + `maxPositives` members whatever the traffic.
 */
export class RedisUserStateStore {
  private readonly prefix: string;
  private readonly fingerprint: string;

  /**
   * @param redis - an ioredis client (the store defines its Lua commands on it).
   * @param rules - positive threshold, seen kinds and bounds.
   * @param prefix - key prefix (`TRENDING_KEY_PREFIX`, default `recsys:`).
   */
  constructor(
    private readonly redis: Redis,
    private readonly rules: UserStateRules,
    prefix = "recsys:",
  ) {
    this.prefix = prefix;
    this.fingerprint = rulesFingerprint(rules);
    if (!(APPLY_COMMAND in redis)) redis.defineCommand(APPLY_COMMAND, { lua: APPLY_USER_EVENT_SCRIPT, numberOfKeys: 4 });
    if (!(FINISH_COMMAND in redis)) redis.defineCommand(FINISH_COMMAND, { lua: FINISH_REBUILD_SCRIPT, numberOfKeys: 2 });
    if (!(EXTEND_COMMAND in redis)) redis.defineCommand(EXTEND_COMMAND, { lua: EXTEND_REBUILD_SCRIPT, numberOfKeys: 1 });
  }

  /** The key of the readiness marker. */
  get readyKey(): string {
    return `${this.prefix}user:ready`;
  }

  /** The key of the rebuild lock. */
  get rebuildKey(): string {
    return `${this.prefix}user:rebuild`;
  }

  /**
   * The keys of one user's state.
   *
   * @param userId - the user.
   */
  userKeys(userId: string): { seen: string; opinions: string; positives: string; version: string } {
    const base = `${this.prefix}user:${userId.length}:${userId}:`;
    return { seen: `${base}seen`, opinions: `${base}op`, positives: `${base}pos`, version: `${base}ver` };
  }

  /**
   * Applies events (one pipeline of Lua calls); events that change nothing under the rules (a click
   * when clicks are not a seen kind) are not sent.
   *
   * @param events - the events, any order.
   * @returns how many changed a user's state.
   * @throws the Redis error when the store is unreachable (nothing is half applied per event;
   *   re-applying the batch is harmless).
   */
  async applyBatch(events: readonly UserStateEvent[]): Promise<number> {
    const pipeline = this.redis.pipeline();
    const call = (pipeline as unknown as Record<string, ScriptCall>)[APPLY_COMMAND]!;
    let sent = 0;
    for (const e of events) {
      const kind = engagementKind(e.type);
      if (!kind) continue;
      const seen = this.rules.seenKinds.has(kind);
      const opinion =
        kind === "like" ? 1 : kind === "dislike" ? 0 : kind === "rate" ? ((e.value ?? 0) >= this.rules.positiveRating ? 1 : 0) : -1;
      if (!seen && opinion < 0) continue;
      const k = this.userKeys(e.userId);
      call.apply(pipeline, [
        k.seen,
        k.opinions,
        k.positives,
        k.version,
        e.productId,
        Math.trunc(e.occurredAtMs),
        seen ? "1" : "0",
        opinion,
        this.rules.maxSeen,
        this.rules.maxPositives,
      ]);
      sent += 1;
    }
    if (sent === 0) return 0;
    const results = await pipeline.exec();
    if (!results) throw new Error("user state store: pipeline was discarded");
    let changed = 0;
    for (const [err, value] of results) {
      if (err) throw err;
      if (value === 1) changed += 1;
    }
    return changed;
  }

  /**
   * Whether the store is ready for readers with this store's rules.
   *
   * @throws the Redis error when the store is unreachable.
   */
  async readiness(): Promise<UserStateReadiness> {
    return this.readinessOf(await this.redis.get(this.readyKey));
  }

  /**
   * The store's readiness and one user's version, in one round trip: what a reader checks before
   * using its cached copy of the user's state.
   *
   * @param userId - the user.
   * @returns the readiness, the user's version ("0" when the user has no state) and whether the
   *   user was deleted (its tombstone, {@link deletedUserKey}, is there).
   * @throws the Redis error when the store is unreachable.
   */
  async version(userId: string): Promise<{ readiness: UserStateReadiness; version: string; deleted: boolean }> {
    const [marker, version, tombstone] = await this.redis.mget(this.readyKey, this.userKeys(userId).version, this.tombstoneKey(userId));
    return { readiness: this.readinessOf(marker ?? null), version: version ?? "0", deleted: tombstone !== null && tombstone !== undefined };
  }

  /**
   * The key of a deleted user's tombstone (see {@link deletedUserKey}).
   *
   * @param userId - the user.
   */
  tombstoneKey(userId: string): string {
    return deletedUserKey(this.prefix, userId);
  }

  /**
   * Which of some users were deleted (their tombstones exist), in one MGET.
   *
   * @param userIds - the users (repeats allowed).
   * @returns the deleted ones.
   * @throws the Redis error when the store is unreachable.
   */
  async deletedAmong(userIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Set();
    const marks = await this.redis.mget(...ids.map((id) => this.tombstoneKey(id)));
    return new Set(ids.filter((_, i) => marks[i] !== null && marks[i] !== undefined));
  }

  /**
   * Deletes one user's state (seen, opinions, positives, version), idempotently.
   *
   * @param userId - the deleted user.
   * @returns how many keys were deleted.
   * @throws the Redis error when the store is unreachable.
   */
  async eraseUser(userId: string): Promise<number> {
    const k = this.userKeys(userId);
    return this.redis.unlink(k.seen, k.opinions, k.positives, k.version);
  }

  /**
   * One user's state, read atomically (MULTI).
   *
   * @param userId - the user.
   * @param positives - most positives to return, a count.
   * @throws the Redis error when the store is unreachable.
   */
  async load(userId: string, positives: number): Promise<StoredUserState> {
    const k = this.userKeys(userId);
    const results = await this.redis
      .multi()
      .get(k.version)
      .zrevrange(k.positives, 0, Math.max(0, positives - 1))
      .zrange(k.seen, 0, -1)
      .exec();
    if (!results) throw new Error("user state store: transaction was discarded");
    for (const [err] of results) if (err) throw err;
    return {
      version: (results[0]![1] as string | null) ?? "0",
      positives: results[1]![1] as string[],
      seen: results[2]![1] as string[],
    };
  }

  /**
   * Starts a rebuild: takes the rebuild lock, unless another rebuild holds it.
   *
   * @param ttlMs - how long the lock holds without {@link extendRebuild}, in ms.
   * @returns the rebuild's token, or undefined when another rebuild holds the lock.
   * @throws the Redis error when the store is unreachable.
   */
  async beginRebuild(ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(this.rebuildKey, token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : undefined;
  }

  /**
   * Extends the rebuild lock.
   *
   * @returns false when the lock was lost (Redis restarted, or the TTL passed and another took it):
   *   the rebuild must start again.
   * @throws the Redis error when the store is unreachable.
   */
  async extendRebuild(token: string, ttlMs: number): Promise<boolean> {
    const call = (this.redis as unknown as Record<string, ScriptCall>)[EXTEND_COMMAND]!;
    return (await call.apply(this.redis, [this.rebuildKey, token, ttlMs])) === 1;
  }

  /**
   * Finishes a rebuild: marks the store ready with this store's rules, if the lock is still the
   * rebuild's (see `FINISH_REBUILD_SCRIPT`).
   *
   * @returns false when the lock was lost: the state may be incomplete and must be rebuilt.
   * @throws the Redis error when the store is unreachable.
   */
  async finishRebuild(token: string): Promise<boolean> {
    const call = (this.redis as unknown as Record<string, ScriptCall>)[FINISH_COMMAND]!;
    return (await call.apply(this.redis, [this.rebuildKey, this.readyKey, token, this.fingerprint])) === 1;
  }

  /**
   * Deletes every user's state and the readiness marker (SCAN + UNLINK over `P user:*`, the lock
   * excepted), before a rebuild under new rules.
   *
   * @returns how many keys were deleted.
   * @throws the Redis error when the store is unreachable.
   */
  async clear(): Promise<number> {
    let cursor = "0";
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}user:*`, "COUNT", 1_000);
      cursor = next;
      const doomed = keys.filter((k) => k !== this.rebuildKey);
      if (doomed.length > 0) deleted += await this.redis.unlink(...doomed);
    } while (cursor !== "0");
    return deleted;
  }

  private readinessOf(marker: string | null): UserStateReadiness {
    if (marker === null) return "missing";
    return marker === this.fingerprint ? "ready" : "stale";
  }
}
