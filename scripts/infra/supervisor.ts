import { backoffDelayMs, type BackoffPolicy } from "../../services/shared/src/backoff.js";
import type { ExitInfo, ManagedProcess } from "./managed-process.js";

/**
 * When {@link Supervisor} restarts a process that exited unexpectedly, and when it gives up.
 *
 * The n-th unexpected exit within `windowMs` is followed by a restart after
 * `backoffDelayMs(n, backoff)` (services/shared/src/backoff.ts: `initialMs`, doubled per exit, at
 * most `maxMs`); exit number `maxRestarts + 1` within the window is a crash loop, and the
 * supervisor stops restarting that process. A failed restart (the process exits again during
 * start-up, or never gets ready) counts as another exit.
 */
export interface RestartPolicy {
  /** Delay before a restart, by the number of unexpected exits in the window. */
  readonly backoff: BackoffPolicy;
  /** Restarts allowed within `windowMs` before the process is declared crash-looping (≥ 0). */
  readonly maxRestarts: number;
  /** The sliding window over which exits are counted, in ms. */
  readonly windowMs: number;
}

/**
 * The restart policy of `npm start` and of the supervised test meshes: first restart after 0.5 s,
 * then 1, 2, 4, 8 s; a sixth unexpected exit within a minute stops the mesh. The longest start-up
 * (the recommendation service builds its models, ~30 s on MovieLens) fits within the window several
 * times, so a slow restart is not mistaken for a loop.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { backoff: { initialMs: 500, maxMs: 8_000 }, maxRestarts: 5, windowMs: 60_000 };

/** What the supervisor reports, and how it asks its owner to give up. */
export interface SupervisorHooks {
  /** One human line per event (an exit, a restart, a failed restart). */
  readonly log: (line: string) => void;
  /**
   * Called once per process that crash-loops (its exits exceeded `maxRestarts` within
   * `windowMs`); the supervisor no longer restarts it. `npm start` stops the whole mesh here.
   *
   * @param name - the process.
   * @param detail - a sentence naming the exits and the log file.
   */
  readonly onCrashLoop: (name: string, detail: string) => void;
}

/** One restart the supervisor made, for tests and logs. */
export interface RestartRecord {
  /** The process name. */
  readonly name: string;
  /** How the previous incarnation ended. */
  readonly exit: ExitInfo;
  /** When that exit was seen, ms since the epoch. */
  readonly exitedAt: number;
  /** When the new incarnation reported ready, ms since the epoch. */
  readonly readyAt: number;
  /** The new process id. */
  readonly pid: number;
}

interface Watched {
  /** Bumped whenever the owner replaces the process, so the old incarnation's exit is ignored. */
  generation: number;
  /** Times of the unexpected exits within the window, ms since the epoch. */
  exits: number[];
}

/**
 * Restarts the mesh's processes when they exit unexpectedly, with back-off, and stops at crash
 * loops — what systemd's `Restart=on-failure` with `StartLimitBurst`/`StartLimitIntervalSec`, or a
 * Kubernetes restart policy, does for a deployed service (see {@link RestartPolicy}).
 *
 * A process is watched from {@link supervise}; an exit the owner caused — {@link close} before a
 * shutdown, or {@link expectReplacement} before a deliberate restart — is not restarted. Restarting
 * is the owner's `restart` callback (for the mesh: claim the ports, spawn, wait for SERVING), so a
 * restarted process comes back with the same command, environment and ports.
 */
export class Supervisor {
  private readonly watched = new Map<string, Watched>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly history: RestartRecord[] = [];

  /**
   * @param policy - back-off and crash-loop limits.
   * @param hooks - logging and the crash-loop callback.
   * @param now - clock in ms since the epoch (default `Date.now`), for tests.
   */
  constructor(
    private readonly policy: RestartPolicy,
    private readonly hooks: SupervisorHooks,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isSafeInteger(policy.maxRestarts) || policy.maxRestarts < 0) throw new RangeError(`maxRestarts must be an integer ≥ 0, got ${policy.maxRestarts}`);
    if (!(policy.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${policy.windowMs}`);
  }

  /** The restarts made so far, oldest first. */
  get restarts(): readonly RestartRecord[] {
    return this.history;
  }

  /**
   * Watches a running process: when it exits without the owner having asked, it is restarted by
   * `restart` after the policy's delay, and the new incarnation is watched in turn.
   *
   * @param name - the process name (one watch per name; a new call replaces the old watch).
   * @param proc - the running process.
   * @param restart - starts the process again and resolves once it is ready; rejects when it could
   *   not start (which counts as another exit).
   */
  supervise(name: string, proc: ManagedProcess, restart: () => Promise<ManagedProcess>): void {
    const entry = this.watched.get(name) ?? { generation: 0, exits: [] };
    entry.generation += 1;
    this.watched.set(name, entry);
    const generation = entry.generation;
    void proc.exited.then((exit) => {
      if (this.closed || entry.generation !== generation) return;
      this.onExit(name, entry, exit, `exited unexpectedly (${exit.signal ?? `status ${String(exit.code)}`})`, proc.logFile, restart);
    });
  }

  /**
   * Declares that the owner is about to stop the named process itself and will call
   * {@link supervise} with its replacement; its exit is then not restarted.
   *
   * @param name - the process name.
   */
  expectReplacement(name: string): void {
    const entry = this.watched.get(name);
    if (entry) entry.generation += 1;
  }

  /** Stops supervising (before a shutdown): no exit is restarted any more and pending restarts are cancelled. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private onExit(name: string, entry: Watched, exit: ExitInfo, how: string, logFile: string, restart: () => Promise<ManagedProcess>): void {
    const at = this.now();
    entry.exits = [...entry.exits.filter((t) => t > at - this.policy.windowMs), at];
    if (entry.exits.length > this.policy.maxRestarts) {
      const detail =
        `${name} exited ${entry.exits.length} times within ${Math.round(this.policy.windowMs / 1000)} s ` +
        `(last: ${how}), more than the ${this.policy.maxRestarts} restarts allowed: see ${logFile}`;
      this.hooks.log(`${detail}; not restarting it`);
      this.hooks.onCrashLoop(name, detail);
      return;
    }
    const delayMs = backoffDelayMs(entry.exits.length, this.policy.backoff);
    this.hooks.log(
      `${name} ${how}: restarting in ${delayMs} ms ` +
        `(restart ${entry.exits.length} of at most ${this.policy.maxRestarts} within ${Math.round(this.policy.windowMs / 1000)} s; see ${logFile})`,
    );
    const generation = entry.generation;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed || entry.generation !== generation) return;
      restart().then(
        (next) => {
          if (this.closed) return;
          this.history.push({ name, exit, exitedAt: at, readyAt: this.now(), pid: next.pid });
          this.hooks.log(`${name} restarted (pid ${next.pid}), ready ${this.now() - at} ms after it exited`);
          this.supervise(name, next, restart);
        },
        (err: unknown) => {
          if (this.closed || entry.generation !== generation) return;
          this.hooks.log(`${name} failed to restart: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
          this.onExit(name, entry, exit, "did not come back", logFile, restart);
        },
      );
    }, delayMs);
    this.timers.add(timer);
  }
}
