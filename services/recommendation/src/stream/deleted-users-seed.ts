import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import type { EngagementService } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { dependencyError } from "../../../shared/src/peers/dependency-error.js";

/** Options of {@link DeletedUsersSeed}. */
export interface DeletedUsersSeedOptions {
  /** An EngagementService client carrying the service token (ListUserDeletions is internal), with a deadline. */
  readonly client: Client<typeof EngagementService>;
  /** The Redis of the statistics. */
  readonly redis: Redis;
  /** The key of a user's tombstone (`RedisUserStateStore.tombstoneKey`). */
  readonly tombstoneKey: (userId: string) => string;
  /** The tombstones' TTL, in seconds (`TRENDING_KEY_TTL_SECONDS`, the log's retention). */
  readonly ttlSeconds: number;
  /** Clock in ms (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Writes the tombstones of the users deleted within the last `ttlSeconds` (the log's retention),
 * from EngagementService.ListUserDeletions, so that a state-loss replay (`StateLossReplay`, which
 * calls {@link seed} before it seeks back) skips the replayed events of those users instead of
 * applying them and then erasing them again when it reaches their deletion message. A tombstone is
 * written with the TTL it would have had (`ttlSeconds` after the deletion); one that already
 * exists is left as it is.
 */
export class DeletedUsersSeed {
  private readonly now: () => number;

  /** @param options - client, Redis, tombstone keys, TTL and clock. */
  constructor(private readonly options: DeletedUsersSeedOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Pages through the deletions and writes their tombstones (one pipeline per page).
   *
   * @returns how many deletions were seen.
   * @throws UnavailableError when the engagement service cannot answer; the Redis error when Redis
   *   is unreachable (the replay is retried at the next check).
   */
  async seed(): Promise<number> {
    const now = this.now();
    const ttlMs = this.options.ttlSeconds * 1000;
    const since = timestampFromMs(now - ttlMs);
    let pageToken = "";
    let seen = 0;
    do {
      let page;
      try {
        page = await this.options.client.listUserDeletions({ pageSize: 5_000, pageToken, since });
      } catch (err) {
        throw dependencyError("engagement service", err);
      }
      const pipeline = this.options.redis.pipeline();
      for (const d of page.deletions) {
        const left = d.deleteTime ? timestampDate(d.deleteTime).getTime() + ttlMs - now : ttlMs;
        if (left > 0) pipeline.set(this.options.tombstoneKey(d.userId), "1", "PX", Math.ceil(left), "NX");
      }
      const results = await pipeline.exec();
      for (const [err] of results ?? []) if (err) throw err;
      seen += page.deletions.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return seen;
  }
}
