import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { type LoadedNcfArtifact, type LoadNcfArtifactOptions, loadNewestValidArtifact } from "./artifact.js";

/** Options of {@link NcfArtifactWatcher}. */
export interface NcfArtifactWatcherOptions {
  /** The artifact root, normally `<MODEL_DIR>/ncf` (see `ncfArtifactRoot`). */
  readonly root: string;
  /** How often to look for a newer version, in ms (default 10000); 0 disables polling. */
  readonly pollIntervalMs?: number;
  /** Where swaps and refusals are logged. */
  readonly logger: Logger;
  /** Whether loaded models get a candidate index (see `LoadNcfArtifactOptions`; default: none). */
  readonly candidateIndex?: LoadNcfArtifactOptions["candidateIndex"];
  /** Called after each swap with the new artifact (for metrics or cache invalidation). */
  readonly onSwap?: (artifact: LoadedNcfArtifact, previous: LoadedNcfArtifact | undefined) => void;
}

/**
 * Holds the NCF model being served and swaps in newer artifacts: {@link start} loads the newest
 * valid artifact, then every `pollIntervalMs` the watcher looks for a version newer than the
 * current one and, when it validates, replaces the current one with a single reference
 * assignment, logged as "NeuMF swapped in: <version>" with `version`, `previous` and `ms` (the
 * time to find, verify and load it, candidate index included). A request reads {@link current} once and keeps that object, so in-flight requests
 * finish on the model they started with and never see a half-swapped state. A corrupt or
 * incompatible version is refused with one warning line (and not retried); the current model stays.
 */
export class NcfArtifactWatcher {
  private model: LoadedNcfArtifact | undefined;
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<boolean> | undefined;
  private readonly pollIntervalMs: number;

  /** @param options - root, poll interval, logger, swap hook. */
  constructor(private readonly options: NcfArtifactWatcherOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
  }

  /** The model being served, or undefined while no valid artifact exists. */
  get current(): LoadedNcfArtifact | undefined {
    return this.model;
  }

  /**
   * Loads the newest valid artifact (if any) and starts polling.
   *
   * @returns the loaded artifact, or undefined when none is valid yet (polling will pick one up).
   */
  async start(): Promise<LoadedNcfArtifact | undefined> {
    await this.poll();
    if (this.pollIntervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
      this.timer.unref();
    }
    return this.model;
  }

  /**
   * Looks once for a valid version newer than the current one and swaps it in. Concurrent calls
   * share one scan. Never throws: a file-system error is logged and the current model stays.
   *
   * @returns true when a newer model was swapped in.
   */
  poll(): Promise<boolean> {
    this.polling ??= this.scan().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Stops polling (the current model stays readable). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async scan(): Promise<boolean> {
    const { logger, root } = this.options;
    const started = performance.now();
    try {
      const { artifact, rejected } = await loadNewestValidArtifact(root, {
        newerThan: this.model?.version,
        skip: this.refused,
        ...(this.options.candidateIndex ? { candidateIndex: this.options.candidateIndex } : {}),
      });
      for (const err of rejected) {
        this.refused.add(err.version);
        logger.warn({ root, version: err.version, problem: err.problem, serving: this.model?.version ?? null }, err.message);
      }
      if (!artifact) return false;
      const previous = this.model;
      this.model = artifact;
      logger.info(
        {
          root,
          version: artifact.version,
          previous: previous?.version ?? null,
          users: artifact.data.users,
          items: artifact.data.items,
          candidateIndexMs: artifact.candidates ? Math.round(artifact.candidates.buildMs) : null,
          ms: Math.round(performance.now() - started),
        },
        `NeuMF swapped in: ${artifact.version}`,
      );
      this.options.onSwap?.(artifact, previous);
      return true;
    } catch (err) {
      logger.warn({ root, err }, "NCF model directory could not be read; keeping the current model");
      return false;
    }
  }
}
