import cliProgress from "cli-progress";
import type { EpochStats } from "../../models/ncf/ncf-types.js";

/** How `npm run train` shows its epochs: a cli-progress bar per epoch (terminals) or one line per epoch (logs, CI). */
export type EpochProgressMode = "bars" | "lines";

/** Shows the progress of a training, epoch by epoch. */
export interface EpochProgress {
  /**
   * Reports how far the current epoch is (a new epoch number starts a new bar).
   *
   * @param epoch - the epoch, from 1.
   * @param done - samples trained so far in this epoch.
   * @param total - the epoch's samples.
   */
  update(epoch: number, done: number, total: number): void;
  /** Ends an epoch: its bar (or line) shows the loss, the speed, the time and the validation metrics. */
  finish(stats: EpochStats): void;
  /** Stops drawing (what was printed stays). */
  stop(): void;
}

/**
 * The summary of one epoch as `npm run train` prints it: `loss 0.3012  41234 samples/s  2.5 s  HR@10 0.612  NDCG@10 0.351`.
 *
 * @param s - the epoch's stats.
 */
export function epochSummary(s: EpochStats): string {
  const validation = s.validationHr10 === undefined ? "" : `  HR@10 ${s.validationHr10.toFixed(3)}  NDCG@10 ${s.validationNdcg10!.toFixed(3)}`;
  return `loss ${s.loss.toFixed(4)}  ${Math.round(s.samplesPerSecond)} samples/s  ${(s.durationMs / 1000).toFixed(1)} s${validation}`;
}

/**
 * Creates the epoch display of `npm run train`: with `bars`, a cli-progress multibar with one bar
 * per epoch that fills with the epoch's samples and then keeps its summary (so every epoch's line
 * stays on screen); with `lines`, one line per finished epoch (what a log file wants).
 *
 * @param epochs - the number of epochs (for the labels' width).
 * @param mode - default `bars` when `stream` is a TTY, else `lines`.
 * @param stream - where to write (default stdout).
 */
export function createEpochProgress(epochs: number, mode?: EpochProgressMode, stream: NodeJS.WriteStream = process.stdout): EpochProgress {
  const width = String(epochs).length;
  const label = (epoch: number): string => `epoch ${String(epoch).padStart(width)}/${epochs}`;
  if ((mode ?? (stream.isTTY ? "bars" : "lines")) === "lines") {
    return {
      update() {},
      finish(stats) {
        stream.write(`${label(stats.epoch)}  ${epochSummary(stats)}\n`);
      },
      stop() {},
    };
  }
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: "{epoch} |{bar}| {percentage}% {summary}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<number, cliProgress.SingleBar>();
  const barOf = (epoch: number, total: number): cliProgress.SingleBar => {
    let bar = bars.get(epoch);
    if (!bar) {
      bar = multibar.create(Math.max(total, 1), 0, { epoch: label(epoch), summary: "" });
      bars.set(epoch, bar);
    }
    return bar;
  };
  return {
    update(epoch, done, total) {
      const bar = barOf(epoch, total);
      bar.setTotal(Math.max(total, 1));
      bar.update(done);
    },
    finish(stats) {
      const bar = barOf(stats.epoch, 1);
      bar.update(bar.getTotal(), { summary: epochSummary(stats) });
    },
    stop() {
      multibar.stop();
    },
  };
}
