import cliProgress from "cli-progress";

/** Progress of one import stage. */
export interface StageProgress {
  /**
   * Reports how far the stage is.
   *
   * @param done - units done so far (rows, bytes).
   * @param total - units in all, when known.
   */
  update(done: number, total?: number): void;
  /**
   * Marks the stage finished.
   *
   * @param summary - a short result, for example "9742 products (9742 new)".
   * @param elapsedMs - how long the stage took, in milliseconds.
   */
  finish(summary: string, elapsedMs: number): void;
}

/** Shows the progress of a multi-stage import. */
export interface ProgressReporter {
  /**
   * Starts showing a stage.
   *
   * @param name - the stage name, for example "catalog".
   * @param unit - what is counted, for example "rows".
   */
  stage(name: string, unit: string): StageProgress;
  /** Stops showing progress (removes nothing already printed). */
  stop(): void;
}

/**
 * How progress is shown: `bars` draws a cli-progress multibar (one bar per stage; for terminals),
 * `lines` prints one line per stage when it finishes (for logs and CI), `silent` prints nothing.
 */
export type ProgressMode = "bars" | "lines" | "silent";

/**
 * Creates a progress reporter writing to `stream`.
 *
 * @param mode - see {@link ProgressMode}; default `bars` when the stream is a TTY, else `lines`.
 * @param stream - where to write (default `process.stderr`, keeping stdout for results).
 */
export function createProgressReporter(
  mode?: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const resolved = mode ?? (stream.isTTY ? "bars" : "lines");
  if (resolved === "silent") {
    return { stage: () => ({ update() {}, finish() {} }), stop() {} };
  }
  if (resolved === "lines") {
    return {
      stage(name) {
        return {
          update() {},
          finish(summary, elapsedMs) {
            stream.write(`${name.padEnd(8)} ${summary} in ${formatMs(elapsedMs)}\n`);
          },
        };
      },
      stop() {},
    };
  }
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: "{stage} |{bar}| {value}/{total} {unit} {summary}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    stage(name, unit) {
      const bar = multibar.create(1, 0, { stage: name.padEnd(8), unit, summary: "" });
      return {
        update(done, total) {
          if (total !== undefined && total > 0) bar.setTotal(total);
          bar.update(done);
        },
        finish(summary, elapsedMs) {
          bar.update(bar.getTotal(), { summary: `${summary} in ${formatMs(elapsedMs)}` });
        },
      };
    },
    stop() {
      multibar.stop();
    },
  };
}

/**
 * Formats a duration for people: "850 ms", "2.4 s".
 *
 * @param ms - duration in milliseconds.
 */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
