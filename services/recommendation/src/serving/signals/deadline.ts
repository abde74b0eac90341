/**
 * Settles like `work`, or rejects once `timeoutMs` passed first; the timer is cleared either way
 * (a `work` that settles later is ignored, its rejection handled).
 *
 * @param work - the call in flight.
 * @param timeoutMs - the deadline, in ms.
 * @param what - names the call in the timeout error.
 * @throws Error "<what> did not answer within <timeoutMs> ms" on the deadline, else whatever `work` throws.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
