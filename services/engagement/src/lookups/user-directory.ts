import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { dependencyError } from "./dependency-error.js";
import { TtlLruCache } from "./ttl-lru-cache.js";

/** What the engagement service needs from the user accounts: whether a user exists. */
export interface UserDirectory {
  /**
   * Tells whether a user exists.
   *
   * @param userId - the user id.
   * @throws ConnectError UNAVAILABLE when the user service cannot answer.
   */
  exists(userId: string): Promise<boolean>;
}

/** Options of {@link GrpcUserDirectory}. */
export interface GrpcUserDirectoryOptions {
  /** Capacity of the cache of found users, in entries (default 10,000; 0 disables it). */
  readonly cacheSize?: number;
  /** How long a found user stays cached, in ms (default 60,000). */
  readonly cacheTtlMs?: number;
  /** Clock in ms, for tests (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * {@link UserDirectory} over `UserService.GetUser`. Users that exist are cached briefly (accounts are
 * never deleted through the API); NOT_FOUND is not cached, so a user registered a moment ago is found.
 */
export class GrpcUserDirectory implements UserDirectory {
  private readonly cache: TtlLruCache<true>;

  /**
   * @param client - a UserService client (see `createServiceClient`), whose deadline bounds each look-up.
   * @param options - cache size and time to live.
   */
  constructor(
    private readonly client: Client<typeof UserService>,
    options: GrpcUserDirectoryOptions = {},
  ) {
    this.cache = new TtlLruCache({
      maxEntries: options.cacheSize ?? 10_000,
      ttlMs: options.cacheTtlMs ?? 60_000,
      now: options.now,
    });
  }

  async exists(userId: string): Promise<boolean> {
    if (this.cache.get(userId)) return true;
    try {
      await this.client.getUser({ userId });
      this.cache.set(userId, true);
      return true;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return false;
      throw dependencyError("user service", err);
    }
  }
}
