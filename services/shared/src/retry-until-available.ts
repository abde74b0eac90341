import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { backoffDelayMs, type BackoffPolicy } from "./backoff.js";
import { isUnavailableError } from "./errors.js";

/** The delays of {@link retryUntilAvailable}: 250 ms, doubled per failed attempt, at most 5 s. */
const START_UP_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5_000 };

/**
 * Runs `task`, retrying while it fails because a dependency is unavailable (see
 * `isUnavailableError`), with exponential back-off from 250 ms to 5 s, for at most `waitMs`
 * milliseconds: start-up tolerates the other services starting at the same time.
 *
 * @param what - what is being done, for the log, for example "load models".
 * @param task - the work.
 * @param waitMs - the longest total wait, in ms (0 means try once).
 * @param logger - one warning per failed attempt that is retried.
 * @returns what `task` returns.
 * @throws the last error once `waitMs` has passed, or at once for errors that are not outages.
 */
export async function retryUntilAvailable<T>(what: string, task: () => Promise<T>, waitMs: number, logger: Logger): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      const delay = backoffDelayMs(attempt, START_UP_BACKOFF);
      if (!isUnavailableError(err) || Date.now() + delay > deadline) throw err;
      logger.warn({ attempt, retryInMs: delay, err: err instanceof Error ? err.message : String(err) }, `${what}: dependency unavailable, retrying`);
      await sleep(delay);
    }
  }
}
