import { readdirSync } from "node:fs";
import { setPriority } from "node:os";
import type { Logger } from "pino";

/**
 * Lowers the CPU priority of this whole process to nice value `nice`, so that the serving
 * processes on the same machine keep the cores while it trains. On Linux a nice value belongs to
 * a thread, not a process (setpriority(2), "BUGS": the POSIX per-process semantics are not
 * implemented), and `os.setPriority(0, …)` changes the calling thread only; so every thread
 * already running (V8's and libuv's workers, listed in `/proc/self/task`) is set too, and threads
 * started later inherit the value of the thread that creates them. Elsewhere the process
 * priority is set once. A thread that exits meanwhile, or a value the OS refuses, is skipped and
 * logged: lower priority is an optimisation, never a reason not to run.
 *
 * @param nice - 0 (normal) to 19 (lowest).
 * @param logger - receives the outcome.
 * @returns how many threads were set.
 */
export function lowerProcessPriority(nice: number, logger: Logger): number {
  let tids: number[] = [];
  try {
    tids = readdirSync("/proc/self/task").map(Number).filter(Number.isInteger);
  } catch {
    // No procfs (macOS): the process-wide call below is all there is.
  }
  let set = 0;
  for (const tid of tids.length > 0 ? tids : [0]) {
    try {
      setPriority(tid, nice);
      set += 1;
    } catch (err) {
      logger.debug({ tid, err: (err as Error).message }, "could not set a thread's priority");
    }
  }
  if (set === 0) logger.warn({ nice }, "could not lower the process priority; training at normal priority");
  else logger.info({ nice, threads: set }, `running at nice ${nice}`);
  return set;
}
