import type { LogPosition } from "../storage/trending/trending-store.js";
import type { RedisTrendingStore } from "../storage/trending/redis-trending-store.js";
import type { RedisUserStateStore } from "../storage/user-state/redis-user-state-store.js";
import type { UserDeletionNotice } from "./decode-user-deletion.js";

/** What the trending consumer does with user deletions (see {@link RedisUserErasure}). */
export interface UserErasure {
  /**
   * Which of some users were deleted (their events are skipped).
   *
   * @throws when the store is unreachable.
   */
  deletedAmong(userIds: readonly string[]): Promise<Set<string>>;
  /**
   * Removes a deleted user from every Redis structure, idempotently.
   *
   * @param deletion - the decoded deletion message.
   * @param source - the partition it came from.
   * @returns true when the user's contributions were subtracted now (false: a redelivery).
   * @throws when the store is unreachable (retrying is safe).
   */
  erase(deletion: UserDeletionNotice, source: Pick<LogPosition, "topic" | "partition">): Promise<boolean>;
}

/**
 * {@link UserErasure} over the Redis stores the consumer keeps: first the trending statistics
 * (`RedisTrendingStore.eraseUser`: the user's contribution subtracted from every trending sorted
 * set, stats hash and window bucket, their cap fields and dedup entries deleted, and the tombstone
 * set, in one script), then the per-user state (`RedisUserStateStore.eraseUser`: the seen,
 * opinion, positive sets and the version counter). The tombstone (`deletedUserKey`, a digest of
 * the id) makes later deliveries of the user's events skip, and tells the read path that the user
 * is gone. A failure between the two steps is retried by the consumer: the script finds its
 * tombstone and subtracts nothing twice.
 */
export class RedisUserErasure implements UserErasure {
  /**
   * @param trending - the trending store (its Redis holds the statistics).
   * @param userState - the per-user state store (same Redis, same prefix).
   */
  constructor(
    private readonly trending: Pick<RedisTrendingStore, "eraseUser">,
    private readonly userState: Pick<RedisUserStateStore, "eraseUser" | "deletedAmong" | "tombstoneKey">,
  ) {}

  deletedAmong(userIds: readonly string[]): Promise<Set<string>> {
    return this.userState.deletedAmong(userIds);
  }

  async erase(deletion: UserDeletionNotice, source: Pick<LogPosition, "topic" | "partition">): Promise<boolean> {
    const first = await this.trending.eraseUser(deletion.userId, deletion.events, source, this.userState.tombstoneKey(deletion.userId));
    await this.userState.eraseUser(deletion.userId);
    return first;
  }
}
