import { healthStatus } from "../../scripts/infra/grpc-health.js";

export { healthStatus };

/**
 * Polls {@link healthStatus} every 100 ms until every name has its expected status.
 *
 * @param address - the server's `host:port`.
 * @param expected - the status each health service name must report, e.g. `{ "": "NOT_SERVING", liveness: "SERVING" }`.
 * @param timeoutMs - deadline, in ms.
 * @returns how long it took, in ms.
 * @throws Error naming what each service reported last when the deadline passes first.
 */
export async function waitForHealth(address: string, expected: Readonly<Record<string, string>>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: Record<string, string> = {};
  for (;;) {
    last = Object.fromEntries(await Promise.all(Object.keys(expected).map(async (name) => [name, await healthStatus(address, name)] as const)));
    if (Object.entries(expected).every(([name, status]) => last[name] === status)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`health of ${address} not ${JSON.stringify(expected)} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One round of {@link sampleHealth}: when it started (ms since the epoch) and each target's status. */
export type HealthSample<K extends string> = { readonly at: number } & Readonly<Record<K, string>>;

/**
 * Reads the health of several targets together every `intervalMs` until stopped: the record of how
 * readiness moved during a fault.
 *
 * @param targets - label → `[host:port, health service name]`.
 * @param intervalMs - pause between rounds, in ms (default 100).
 * @returns `stop()`, which ends the sampling and resolves with every round, oldest first.
 */
export function sampleHealth<K extends string>(
  targets: Readonly<Record<K, readonly [address: string, service: string]>>,
  intervalMs = 100,
): { stop(): Promise<HealthSample<K>[]> } {
  const samples: HealthSample<K>[] = [];
  let sampling = true;
  const labels = Object.keys(targets) as K[];
  const loop = (async () => {
    while (sampling) {
      const at = Date.now();
      const statuses = await Promise.all(labels.map((label) => healthStatus(targets[label][0], targets[label][1])));
      samples.push({ at, ...Object.fromEntries(labels.map((label, i) => [label, statuses[i]!])) } as HealthSample<K>);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return samples;
    },
  };
}
