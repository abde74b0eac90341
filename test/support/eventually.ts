/**
 * Polls `probe` until it gives a value (anything but undefined), for a test that waits for a
 * condition decided by a deadline rather than a fixed sleep. A probe that throws counts as "not yet".
 *
 * @param what - what is awaited, for the error message.
 * @param probe - returns (or resolves to) the value once the condition holds, else undefined.
 * @param timeoutMs - deadline, in ms.
 * @param intervalMs - pause between probes, in ms (default 100).
 * @returns the first value the probe gave.
 * @throws Error "<what> not within <timeoutMs> ms" when the deadline passes first.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await Promise.resolve().then(probe).catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
