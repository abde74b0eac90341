import { createHash } from "node:crypto";

/**
 * The Redis key of a deleted user's tombstone: `<prefix>deleted-user:<SHA-256 of the user id, hex>`.
 * It names the user by a digest, not by the id, so that after a deletion no Redis key or value
 * holds the id itself, while the consumer and the read path can still tell that this user was
 * deleted (events of the user are skipped, GetRecommendations answers NOT_FOUND). The trending
 * consumer sets it when it applies a user-deletion message, with the trending keys' TTL (the log's
 * retention: after it no message of the user can be replayed).
 *
 * @param prefix - the key prefix (`TRENDING_KEY_PREFIX`, default `recsys:`).
 * @param userId - the deleted user.
 */
export function deletedUserKey(prefix: string, userId: string): string {
  return `${prefix}deleted-user:${createHash("sha256").update(userId, "utf8").digest("hex")}`;
}
