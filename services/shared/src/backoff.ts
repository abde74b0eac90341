/**
 * The one back-off mechanism of the mesh: exponential delays, a sleep that can be woken, and the
 * bookkeeping of an outage (when it started, how many attempts failed), used by the outbox relay,
 * the trending consumer and {@link retryUntilAvailable} (retry-until-available.ts).
 *
 * Delays are deterministic (no jitter): the components that use them retry one connection each, so
 * there is no herd to spread, and the delays stay predictable in logs and tests.
 */

/** How long to wait after consecutive failures: `initialMs`, doubled per failure, at most `maxMs`. */
export interface BackoffPolicy {
  /** The wait after the first failure, in ms. */
  readonly initialMs: number;
  /** The longest wait, in ms. */
  readonly maxMs: number;
}

/**
 * The wait before the next attempt after `failures` consecutive failures:
 * `min(initialMs × 2^(failures − 1), maxMs)` (the exponent is capped at 30, so the product stays a
 * finite number whatever the count).
 *
 * @param failures - consecutive failures so far, 1 or more (0 is treated as 1).
 * @param policy - first and largest wait, in ms.
 * @returns the wait, in ms.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
}

/**
 * The state of an outage of one dependency: counts the consecutive failed attempts, remembers when
 * the first one happened, and gives the back-off delay before the next attempt. The caller logs:
 * one warning when {@link fail} says an outage starts, one line when {@link recover} says it ended.
 */
export class Outage {
  private failures = 0;
  private startedAt = 0;

  /**
   * @param policy - the back-off delays.
   * @param now - clock in ms since the epoch (default `Date.now`), for tests.
   */
  constructor(
    private readonly policy: BackoffPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the last attempt failed (an outage is in progress). */
  get active(): boolean {
    return this.failures > 0;
  }

  /** Consecutive failed attempts of the outage in progress (0 when none). */
  get failedAttempts(): number {
    return this.failures;
  }

  /**
   * Records a failed attempt.
   *
   * @returns true when this failure starts an outage (the previous attempt succeeded or none was made).
   */
  fail(): boolean {
    this.failures += 1;
    if (this.failures === 1) this.startedAt = this.now();
    return this.failures === 1;
  }

  /** The wait before the next attempt, in ms (see {@link backoffDelayMs}). */
  delayMs(): number {
    return backoffDelayMs(this.failures, this.policy);
  }

  /**
   * Records a successful attempt, ending the outage in progress.
   *
   * @returns the outage's failed attempts and duration in ms (first failure to now), or undefined
   *   when there was no outage.
   */
  recover(): { failedAttempts: number; outageMs: number } | undefined {
    if (this.failures === 0) return undefined;
    const ended = { failedAttempts: this.failures, outageMs: this.now() - this.startedAt };
    this.failures = 0;
    return ended;
  }
}

/**
 * A sleep for retry loops that other code can cut short:
 * - {@link wake} ends a *wakeable* sleep at once (new work was announced); when none is in progress,
 *   the next wakeable sleep returns at once instead, so an announcement is never lost;
 * - {@link interrupt} ends the sleep in progress of either kind and is not remembered;
 * - {@link stop} ends the sleep in progress and makes every later sleep return at once, until
 *   {@link resume}.
 */
export class WakeableSleep {
  private stopped = false;
  private woken = false;
  private current: { readonly wakeable: boolean; readonly finish: () => void } | undefined;

  /**
   * Waits `ms`, or less when stopped, interrupted or (when `wakeable`) woken.
   *
   * @param ms - the longest wait, in ms.
   * @param wakeable - whether {@link wake} ends it (default false).
   */
  sleep(ms: number, wakeable = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.current = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.current = { wakeable, finish };
    });
  }

  /** Ends a wakeable sleep in progress (any sleep once stopped), or makes the next wakeable sleep return at once. */
  wake(): void {
    this.woken = true;
    const current = this.current;
    if (current && (this.stopped || current.wakeable)) {
      this.woken = false;
      current.finish();
    }
  }

  /** Ends the sleep in progress, wakeable or not; nothing is remembered when none is. */
  interrupt(): void {
    this.current?.finish();
  }

  /** Ends the sleep in progress; later sleeps return at once until {@link resume}. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Lets sleeps wait again after {@link stop}. */
  resume(): void {
    this.stopped = false;
  }
}
