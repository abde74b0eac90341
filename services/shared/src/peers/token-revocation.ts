import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { LRUCache } from "lru-cache";
import type { UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import type { AccessTokenClaims } from "../access-token.js";
import { dependencyError } from "./dependency-error.js";
import { createLookupCache, type LookupCacheOptions } from "./lookup-cache.js";

/**
 * How long another service may keep accepting a token revoked by a password change, in ms: the
 * time to live of {@link GrpcTokenRevocation}'s cache of token versions (the revocation delay).
 * The UserService itself checks its database on every call, so it refuses such a token at once.
 */
export const DEFAULT_REVOCATION_CACHE_TTL_MS = 5_000;

/** Options of {@link GrpcTokenRevocation}: its cache of token versions (see {@link LookupCacheOptions}). */
export interface GrpcTokenRevocationOptions extends LookupCacheOptions {
  /** How long a token version is trusted, in ms (default {@link DEFAULT_REVOCATION_CACHE_TTL_MS}; 0: ask every time). */
  readonly cacheTtlMs?: number;
}

/**
 * The revocation check of the services other than the UserService (an `AccessControl` `isRevoked`
 * option), over the internal `UserService.GetTokenState` RPC, which needs the service token (give
 * the client `serviceTokenInterceptor`).
 *
 * A token is revoked when its version claim is below the account's current token version (the
 * UserService increments it at each password change), or when the account does not exist. Versions
 * are cached per user in an lru-cache LRUCache for `cacheTtlMs` (default 5 s: the revocation
 * delay, during which a token revoked elsewhere may still be accepted here); a token newer than the
 * cached version is checked afresh, so signing in again after a password change works at once.
 * Concurrent checks of one user share one call.
 */
export class GrpcTokenRevocation {
  private readonly cache: LRUCache<string, number> | undefined;
  /** Look-ups in progress, by user id, shared by concurrent callers. */
  private readonly inFlight = new Map<string, Promise<number | undefined>>();

  /**
   * @param client - a UserService client carrying the service token, whose deadline bounds each look-up.
   * @param options - cache size (entries), time to live (ms) and clock.
   */
  constructor(
    private readonly client: Client<typeof UserService>,
    options: GrpcTokenRevocationOptions = {},
  ) {
    this.cache = createLookupCache<number>({ ...options, cacheTtlMs: options.cacheTtlMs ?? DEFAULT_REVOCATION_CACHE_TTL_MS });
    this.isRevoked = this.isRevoked.bind(this);
  }

  /**
   * Tells whether a verified access token was revoked.
   *
   * @param claims - the token's verified claims (user id and token version).
   * @returns true when the token's version is below the account's or the account does not exist.
   * @throws UnavailableError "user service is unavailable, retry later" when the UserService cannot
   *   answer; Error "user service failed: …" on any other failure (for example a wrong service token).
   */
  async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const cached = this.cache?.get(claims.userId);
    if (cached !== undefined && claims.tokenVersion <= cached) return claims.tokenVersion < cached;
    const current = await this.currentVersion(claims.userId);
    return current === undefined || claims.tokenVersion < current;
  }

  private currentVersion(userId: string): Promise<number | undefined> {
    const pending = this.inFlight.get(userId);
    if (pending) return pending;
    const lookup = this.lookUp(userId).finally(() => this.inFlight.delete(userId));
    this.inFlight.set(userId, lookup);
    return lookup;
  }

  private async lookUp(userId: string): Promise<number | undefined> {
    try {
      const { tokenVersion } = await this.client.getTokenState({ userId });
      this.cache?.set(userId, tokenVersion);
      return tokenVersion;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return undefined;
      throw dependencyError("user service", err);
    }
  }
}
