import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { StoredUserState, UserStateReadiness } from "../../storage/user-state/redis-user-state-store.js";
import type { ProfileSource } from "../domain/profile-source.js";
import type { UserProfile } from "../domain/user-profile.js";
import { withDeadline } from "./deadline.js";
import { NotFoundError } from "../../../../shared/src/domain-errors.js";

/** What {@link StoredProfileSource} reads (a `RedisUserStateStore` is one). */
export interface UserStateReader {
  /** The store's readiness, the user's version and whether the user was deleted, in one round trip. */
  version(userId: string): Promise<{ readiness: UserStateReadiness; version: string; deleted?: boolean }>;
  /** The user's state (version, most recent `positives` positives, seen products). */
  load(userId: string, positives: number): Promise<StoredUserState>;
}

/** Options of {@link StoredProfileSource}. */
export interface StoredProfileSourceOptions {
  /** Positives a profile holds, a count (`RECOMMEND_RECENT_POSITIVES`, 20). */
  readonly maxPositives: number;
  /** Users whose profile is kept in memory until their version moves, a count (10,000; 0 = none). */
  readonly cacheSize: number;
  /** How long a store read may take before the fallback answers instead, in ms (300). */
  readonly timeoutMs: number;
  /** Where changes of the source in use are logged (one line per change). */
  readonly logger: Logger;
}

const EMPTY: UserProfile = { positives: [], seen: new Set() };

/**
 * The user's profile from the per-user state the trending consumer keeps in Redis
 * (`RedisUserStateStore`): one round trip per request (MGET of the readiness marker and the user's
 * version); the positives and the seen set are read again only when the version moved, and are
 * otherwise served from an LRU cache. An event reaches it by the same path as trending (outbox →
 * Kafka → consumer), so a rating is in the next recommendation within that path's latency
 * (`npm run bench:freshness`).
 *
 * Falls back to `fallback` (EngagementService's live history) while the store is not ready (never
 * built, lost with an empty Redis and being rebuilt, built under other rules), when Redis fails, or
 * when a read takes longer than `timeoutMs`; each change of source is logged once.
 */
export class StoredProfileSource implements ProfileSource {
  private readonly cache: LRUCache<string, { version: string; profile: UserProfile }> | undefined;
  private usingFallback: string | undefined;

  /**
   * @param store - the per-user state.
   * @param fallback - the live history's profiles.
   * @param options - positives, cache size, timeout, logger.
   */
  constructor(
    private readonly store: UserStateReader,
    private readonly fallback: ProfileSource,
    private readonly options: StoredProfileSourceOptions,
  ) {
    this.cache = options.cacheSize > 0 ? new LRUCache({ max: options.cacheSize }) : undefined;
  }

  /**
   * @throws NotFoundError when the store holds the user's deletion tombstone (the trending consumer
   *   applied a user-deletion message; the cached profile is dropped); UnavailableError when the
   *   store cannot answer and the fallback cannot be reached either.
   */
  async profile(userId: string): Promise<UserProfile> {
    let outcome: UserProfile | string;
    try {
      outcome = await withDeadline(this.stored(userId), this.options.timeoutMs, "per-user state");
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      outcome = `per-user state store failing (${err instanceof Error ? err.message : String(err)})`;
    }
    if (typeof outcome !== "string") {
      if (this.usingFallback !== undefined) {
        this.options.logger.info("per-user state ready: reading profiles from it again");
        this.usingFallback = undefined;
      }
      return outcome;
    }
    if (this.usingFallback === undefined) {
      this.options.logger.warn({ reason: outcome }, "reading profiles from EngagementService histories until the per-user state is back");
    }
    this.usingFallback = outcome;
    return this.fallback.profile(userId);
  }

  /** The stored profile, or why it cannot be used. */
  private async stored(userId: string): Promise<UserProfile | string> {
    const { readiness, version, deleted } = await this.store.version(userId);
    if (deleted) {
      this.cache?.delete(userId);
      throw new NotFoundError("user", userId);
    }
    if (readiness !== "ready") return `per-user state ${readiness}`;
    if (version === "0") return EMPTY;
    const cached = this.cache?.get(userId);
    if (cached?.version === version) return cached.profile;
    const state = await this.store.load(userId, this.options.maxPositives);
    const profile: UserProfile = { positives: state.positives, seen: new Set(state.seen) };
    this.cache?.set(userId, { version: state.version, profile });
    return profile;
  }
}
