import os from "node:os";

/** The machine a benchmark ran on, as printed with its figures. */
export interface MachineInfo {
  /** Logical CPUs and their model. */
  readonly cpus: string;
  /** Total memory, GiB. */
  readonly memoryGiB: number;
  /** Node.js version. */
  readonly node: string;
  /** Operating system and kernel. */
  readonly os: string;
  /** 1-, 5- and 15-minute load averages when the benchmark started (other work on the machine). */
  readonly loadAverage: string;
}

/** Describes this machine: cores, memory, Node version, OS and current load. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown"}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  };
}

/** Prints the machine in one block, with the caveat that other work may share it. */
export function printMachine(): void {
  const m = machineInfo();
  console.log(`machine: ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`);
  console.log(`load average at start: ${m.loadAverage} (figures are indicative when other work shares the machine)`);
}

/**
 * Percentiles of a sample by the nearest-rank method (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method).
 *
 * @param values - the sample (any order; not modified).
 * @param ps - percentiles in (0, 100].
 * @returns one value per percentile, NaN for an empty sample.
 */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!));
}
