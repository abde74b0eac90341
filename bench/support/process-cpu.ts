import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly ppid: number;
  /** utime + stime, in ticks. */
  readonly cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state(0) ppid(1) … utime(11) stime(12) (proc(5) fields 4, 14, 15).
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** A named group of processes: a root pid and, when asked, its direct children (PostgreSQL backends). */
export interface ProcessGroup {
  readonly name: string;
  readonly pid: number;
  readonly withChildren?: boolean;
}

/**
 * Measures the CPU time each group of processes uses between {@link CpuMeter.start} and
 * {@link CpuMeter.stop}, from /proc (Linux only), to show where a benchmark's time goes. Children
 * that exited between the two readings are not counted (PostgreSQL backends live as long as their
 * connection, so a pooled service's backends are counted).
 */
export class CpuMeter {
  private startTicks = new Map<string, number>();
  private startedAt = 0;

  /** @param groups - the processes to measure. */
  constructor(private readonly groups: readonly ProcessGroup[]) {}

  private sample(): Map<string, number> {
    const children = new Map<number, number[]>();
    if (this.groups.some((g) => g.withChildren)) {
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const s = readStat(Number(entry));
        if (!s) continue;
        const list = children.get(s.ppid) ?? [];
        list.push(Number(entry));
        children.set(s.ppid, list);
      }
    }
    const out = new Map<string, number>();
    for (const g of this.groups) {
      let ticks = readStat(g.pid)?.cpuTicks ?? 0;
      if (g.withChildren) for (const child of children.get(g.pid) ?? []) ticks += readStat(child)?.cpuTicks ?? 0;
      out.set(g.name, ticks);
    }
    return out;
  }

  /** Takes the first reading. */
  start(): void {
    this.startTicks = this.sample();
    this.startedAt = Date.now();
  }

  /**
   * Takes the second reading.
   *
   * @returns per group: CPU seconds used and the share of one core over the interval (1.0 = one full core).
   */
  stop(): { name: string; cpuSeconds: number; cores: number }[] {
    const end = this.sample();
    const seconds = (Date.now() - this.startedAt) / 1000;
    return this.groups.map((g) => {
      const cpuSeconds = ((end.get(g.name) ?? 0) - (this.startTicks.get(g.name) ?? 0)) / TICKS_PER_SECOND;
      return { name: g.name, cpuSeconds, cores: cpuSeconds / seconds };
    });
  }
}
