/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  /** Call-tree nodes; each has its function and how many samples landed in it. */
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  /** Node id of each sample, in order. */
  readonly samples?: readonly number[];
  /** Microseconds between consecutive samples. */
  readonly timeDeltas?: readonly number[];
  /** Start and end of the profile, in microseconds. */
  readonly startTime: number;
  readonly endTime: number;
}

/**
 * Summarises a CPU profile by self time: the share of samples whose leaf frame is each function
 * (functions are told apart by name, file and line), highest first. The format is the Chrome
 * DevTools Protocol's `Profiler.Profile` (https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile).
 *
 * @param profile - a parsed `.cpuprofile`.
 * @param top - how many functions to list.
 * @returns one line per function: self ms, share of all samples, name and location; then the total.
 */
export function summarizeCpuProfile(profile: CpuProfile, top: number): string {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n] as const));
  const selfUs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  let idleUs = 0;
  samples.forEach((id, i) => {
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    const node = byNode.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    totalUs += us;
    if (functionName === "(idle)") {
      idleUs += us;
      return;
    }
    const file = url.replace(/^file:\/\//, "").replace(/^.*\/(services|node_modules|scripts|gen)\//, "$1/");
    const key = `${functionName || "(anonymous)"}  ${file}:${lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  });
  const busyUs = totalUs - idleUs;
  const lines = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)}%  ${key}`);
  lines.push(`total ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (${((100 * busyUs) / Math.max(1, totalUs)).toFixed(0)}%)`);
  return lines.join("\n");
}
