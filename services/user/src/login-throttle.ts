import { Code, ConnectError } from "@connectrpc/connect";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** Limits of {@link LoginThrottle}. */
export interface LoginThrottleLimits {
  /** Password checks one username may fail in a window (default 5). */
  readonly failuresPerUsername: number;
  /** That window, in seconds (default 900: 15 minutes), counted from the first failure. */
  readonly usernameWindowSeconds: number;
  /** Password checks one client address may ask for in a window, failed or not (default 50). */
  readonly attemptsPerAddress: number;
  /** That window, in seconds (default 60). */
  readonly addressWindowSeconds: number;
}

/**
 * Default limits: 5 failed password checks per username per 15 minutes, 50 attempts per client
 * address per minute, after the OWASP Authentication Cheat Sheet's advice to throttle both per account
 * and per source (https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#protect-against-automated-attacks).
 */
export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = {
  failuresPerUsername: 5,
  usernameWindowSeconds: 900,
  attemptsPerAddress: 50,
  addressWindowSeconds: 60,
};

/** Response header (gRPC trailer) of a throttled call: whole seconds to wait (RFC 9110 §10.2.3). */
export const RETRY_AFTER_HEADER = "retry-after";

/** One admitted password check: tell the throttle how it went. */
export interface LoginAttempt {
  /** The password was right: the username's failures are forgotten. */
  succeeded(): Promise<void>;
}

/**
 * Throttles password checks (CreateSession, and the current-password check of a password change)
 * before any hashing runs, so refused attempts cost no Argon2 work. Two fixed-window counters from
 * rate-limiter-flexible's `RateLimiterMemory` (https://github.com/animir/node-rate-limiter-flexible):
 * - per username (case-folded), counting attempts that did not succeed: each admitted attempt takes
 *   a point up front (so concurrent guesses count too) and a success clears the username;
 * - per client address, counting every attempt.
 * A refused attempt is RESOURCE_EXHAUSTED (HTTP 429 through Envoy) with a `retry-after` trailer in
 * seconds and a message saying when to retry. Unknown usernames are counted like known ones, so the
 * answer does not tell whether an account exists.
 *
 * The counters live in this process's memory: one UserService process is throttled exactly; with
 * several replicas each counts on its own (limits multiply by the replica count) unless the limiters
 * are moved to rate-limiter-flexible's `RateLimiterRedis` on a shared Redis. Memory: one small entry
 * per username or address seen in its window, dropped when the window ends.
 */
export class LoginThrottle {
  private readonly byUsername: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  /**
   * @param limits - the limits (default {@link DEFAULT_LOGIN_LIMITS}).
   * @throws RangeError naming a limit that is not a positive integer.
   */
  constructor(limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: must be a positive integer, got ${value}`);
    }
    this.byUsername = new RateLimiterMemory({ keyPrefix: "login-username", points: limits.failuresPerUsername, duration: limits.usernameWindowSeconds });
    this.byAddress = new RateLimiterMemory({ keyPrefix: "login-address", points: limits.attemptsPerAddress, duration: limits.addressWindowSeconds });
  }

  /**
   * Admits one password check or refuses it: the address first (every attempt counts), then the
   * username (an attempt refused for its address does not count against the username).
   *
   * @param username - the sign-in name as sent, or undefined when it cannot name an account (then
   *   only the address is counted).
   * @param address - the client address (see `clientAddress`).
   * @returns the attempt, to report success on.
   * @throws ConnectError RESOURCE_EXHAUSTED "too many sign-in attempts from this address: retry after
   *   N seconds" or "… for this username: …", with metadata `retry-after: N`.
   */
  async begin(username: string | undefined, address: string): Promise<LoginAttempt> {
    await take(this.byAddress, address, "from this address");
    const key = username?.toLowerCase();
    if (key !== undefined) await take(this.byUsername, key, "for this username");
    return {
      succeeded: async () => {
        if (key !== undefined) await this.byUsername.delete(key);
      },
    };
  }

  /**
   * Drops the username's failure counter (DeleteUser: nothing about a deleted account stays).
   *
   * @param username - the sign-in name (any letter case).
   */
  async forget(username: string): Promise<void> {
    await this.byUsername.delete(username.toLowerCase());
  }
}

async function take(limiter: RateLimiterMemory, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new ConnectError(`too many sign-in attempts ${what}: retry after ${seconds} seconds`, Code.ResourceExhausted, {
      [RETRY_AFTER_HEADER]: String(seconds),
    });
  }
}
