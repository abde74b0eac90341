import { readFileSync } from "node:fs";

/** Memory of one process, from /proc/<pid>/status (Linux only), in bytes. */
export interface ProcessMemory {
  /** Resident set size now (`VmRSS`). */
  readonly rssBytes: number;
  /** Peak resident set size since the process started (`VmHWM`). */
  readonly peakRssBytes: number;
}

/**
 * Reads a process's resident memory from /proc/<pid>/status (`VmRSS`, `VmHWM`, given there in kB).
 * The V8 heap of another process cannot be read from /proc; RSS includes it, the typed arrays
 * (NeuMF weights, cached scores) and native memory.
 *
 * @param pid - the process.
 * @returns its memory, or undefined when the process is gone or /proc is not there.
 */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}

/**
 * Formats a {@link readProcessMemory} reading as "RSS 1234 MiB (peak 2345 MiB)", or "gone" when there is none.
 *
 * @param memory - the reading.
 */
export function formatProcessMemory(memory: ProcessMemory | undefined): string {
  if (memory === undefined) return "gone";
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return `RSS ${mib(memory.rssBytes)} (peak ${mib(memory.peakRssBytes)})`;
}
