import type { Logger } from "pino";
import { type RetrainPolicy, type RetrainReason, retrainReason } from "./retrain-trigger.js";

/** What one training produced. */
export interface RetrainResult {
  /** The artifact version written. */
  readonly version: string;
}

/** Options of {@link Retrainer}. */
export interface RetrainerOptions {
  /** The triggers. */
  readonly policy: RetrainPolicy;
  /** How often the triggers are checked, in ms. */
  readonly checkIntervalMs: number;
  /**
   * Trains and writes one artifact; rejects on failure. It must give up (reject) soon after
   * `signal` aborts, leaving no partial artifact (`trainAndSaveModel` with `signal` does).
   */
  readonly train: (signal: AbortSignal) => Promise<RetrainResult>;
  /** The model found at start: its version and when its data was read (ms since the Unix epoch). */
  readonly initialModel?: { readonly version: string; readonly trainedAt: number };
  /** The running count of accepted events since the process started (never decreasing); none: not counted. */
  readonly events?: { readonly total: number };
  /** The clock, in ms since the Unix epoch (default `Date.now`); tests pass their own times. */
  readonly clock?: () => number;
  /** Receives one line per training started, finished, failed or abandoned. */
  readonly logger: Logger;
}

/** What the retrainer has done (for metrics and logs). */
export interface RetrainerStatus {
  /** The version of the newest model (found at start or trained), if any. */
  readonly version: string | undefined;
  /** When the last successful training started, in ms since the Unix epoch (or the initial model's time). */
  readonly lastTrainingAt: number | undefined;
  /** How long the last successful training took, in ms. */
  readonly lastDurationMs: number | undefined;
  /** Events counted since the last successful training started (0 when not counted). */
  readonly eventsSince: number;
  /** Whether a training runs now. */
  readonly training: boolean;
  /** Trainings that wrote an artifact. */
  readonly succeeded: number;
  /** Trainings that failed (abandoned ones not included). */
  readonly failed: number;
}

/**
 * Runs NeuMF trainings when they are due (see {@link retrainReason}): checks the triggers every
 * `checkIntervalMs`, and at most one training runs at a time (a check during a training does
 * nothing). A failure is logged and counted, and the next attempt waits `retryMs`; nothing a
 * training throws reaches the loop. {@link stop} abandons a training in progress through its
 * abort signal and waits until it has given up.
 */
export class Retrainer {
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private version: string | undefined;
  private lastTrainingAt: number | undefined;
  private lastDurationMs: number | undefined;
  private lastFailureAt: number | undefined;
  private eventsAtLastTraining = 0;
  private succeeded = 0;
  private failed = 0;

  /** @param options - triggers, the training, the event count, the clock. */
  constructor(private readonly options: RetrainerOptions) {
    this.clock = options.clock ?? Date.now;
    this.version = options.initialModel?.version;
    this.lastTrainingAt = options.initialModel?.trainedAt;
  }

  /** What the retrainer has done so far. */
  get status(): RetrainerStatus {
    return {
      version: this.version,
      lastTrainingAt: this.lastTrainingAt,
      lastDurationMs: this.lastDurationMs,
      eventsSince: this.eventsSince(),
      training: this.running !== undefined,
      succeeded: this.succeeded,
      failed: this.failed,
    };
  }

  /** Checks at once (so a missing model starts training immediately), then every `checkIntervalMs`. */
  start(): void {
    if (this.timer || this.stopped) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
  }

  /**
   * Checks the triggers once and, when a training is due and none runs, runs one to its end.
   * Never rejects (a failed training is logged and counted).
   *
   * @returns the reason the training ran for, or undefined when none started.
   */
  async check(): Promise<RetrainReason | undefined> {
    if (this.running || this.stopped) return undefined;
    const reason = retrainReason(
      this.options.policy,
      { hasModel: this.version !== undefined, lastTrainingAt: this.lastTrainingAt, eventsSince: this.eventsSince(), lastFailureAt: this.lastFailureAt },
      this.clock(),
    );
    if (reason === undefined) return undefined;
    this.running = this.runTraining(reason).finally(() => {
      this.running = undefined;
    });
    await this.running;
    return reason;
  }

  /** Stops checking and abandons a training in progress; resolves once it has given up. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort?.abort(new Error("the retrainer is stopping"));
    await this.running;
  }

  private eventsSince(): number {
    return this.options.events ? Math.max(0, this.options.events.total - this.eventsAtLastTraining) : 0;
  }

  private async runTraining(reason: RetrainReason): Promise<void> {
    const { logger } = this.options;
    const startedAt = this.clock();
    const eventsAtStart = this.options.events?.total ?? 0;
    const eventsSince = this.eventsSince();
    const abort = new AbortController();
    this.abort = abort;
    logger.info({ reason, eventsSince, previous: this.version ?? null }, `NeuMF training started (${reason})`);
    try {
      const { version } = await this.options.train(abort.signal);
      this.version = version;
      this.lastTrainingAt = startedAt;
      this.lastDurationMs = this.clock() - startedAt;
      this.lastFailureAt = undefined;
      this.eventsAtLastTraining = eventsAtStart;
      this.succeeded += 1;
      logger.info({ reason, version, ms: this.lastDurationMs }, `NeuMF training finished: ${version}`);
    } catch (err) {
      if (abort.signal.aborted) {
        logger.info({ reason, ms: this.clock() - startedAt }, "NeuMF training abandoned (stopping); no artifact written");
        return;
      }
      this.failed += 1;
      this.lastFailureAt = this.clock();
      logger.error(
        { reason, err: err instanceof Error ? err.message : String(err), retryInMs: this.options.policy.retryMs },
        "NeuMF training failed; retrying later",
      );
    } finally {
      this.abort = undefined;
    }
  }
}
