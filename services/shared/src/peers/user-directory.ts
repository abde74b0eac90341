import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { LRUCache } from "lru-cache";
import type { UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { dependencyError } from "./dependency-error.js";
import { createLookupCache, type LookupCacheOptions } from "./lookup-cache.js";

/** What the other services need from the user accounts: whether users exist. */
export interface UserDirectory {
  /**
   * Tells whether a user exists.
   *
   * @param userId - a syntactically valid user id.
   * @returns true when the user exists, false when the user service answers NOT_FOUND.
   * @throws UnavailableError "user service is unavailable, retry later" when it cannot answer;
   *   Error "user service failed: …" on any other failure.
   */
  exists(userId: string): Promise<boolean>;
  /**
   * Tells which of many users exist (for batches).
   *
   * @param userIds - the user ids (repeats allowed).
   * @returns the ids that exist.
   * @throws as {@link UserDirectory.exists}.
   */
  existing(userIds: readonly string[]): Promise<Set<string>>;
}

/** Most `GetUser` calls in flight for one {@link GrpcUserDirectory.existing} call. */
const LOOKUP_CONCURRENCY = 16;

/** Options of {@link GrpcUserDirectory}: its cache of found users (see {@link LookupCacheOptions}). */
export type GrpcUserDirectoryOptions = LookupCacheOptions;

/**
 * {@link UserDirectory} over `UserService.GetUser`. Users that exist are cached briefly (10,000
 * entries for 60 s by default; a deleted user may be taken for existing until its entry expires or
 * {@link GrpcUserDirectory.forget} drops it, `cacheSize: 0` for none);
 * NOT_FOUND is not cached, so a user registered a moment ago is found. Concurrent look-ups of the
 * same id share one call; batches look the uncached ids up with at most 16 calls in flight.
 */
export class GrpcUserDirectory implements UserDirectory {
  private readonly cache: LRUCache<string, true> | undefined;
  /** Look-ups in progress, by user id, shared by concurrent callers. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  /**
   * @param client - a UserService client (see `createServiceClient`), whose deadline bounds each look-up.
   * @param options - cache size, time to live and clock.
   */
  constructor(
    private readonly client: Client<typeof UserService>,
    options: GrpcUserDirectoryOptions = {},
  ) {
    this.cache = createLookupCache<true>(options);
  }

  async exists(userId: string): Promise<boolean> {
    if (this.cache?.get(userId)) return true;
    const pending = this.inFlight.get(userId);
    if (pending) return pending;
    const lookup = this.lookUp(userId).finally(() => this.inFlight.delete(userId));
    this.inFlight.set(userId, lookup);
    return lookup;
  }

  async existing(userIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const queue: string[] = [];
    for (const id of new Set(userIds)) {
      if (this.cache?.get(id)) found.add(id);
      else queue.push(id);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length) {
        const id = queue[next++]!;
        if (await this.exists(id)) found.add(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, queue.length) }, worker));
    return found;
  }

  /**
   * Drops a user from the cache of users known to exist (the user was deleted), so the next
   * {@link exists} asks the UserService again.
   *
   * @param userId - the user.
   */
  forget(userId: string): void {
    this.cache?.delete(userId);
  }

  private async lookUp(userId: string): Promise<boolean> {
    try {
      await this.client.getUser({ userId });
      this.cache?.set(userId, true);
      return true;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return false;
      throw dependencyError("user service", err);
    }
  }
}
