import type { Logger } from "pino";
import type { TrendingSource } from "./domain/trending-source.js";

/** A connected trending source and how to close it. */
export interface TrendingConnection {
  /** The trending signal. */
  readonly source: TrendingSource;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects the trending signal.
 *
 * PLACEHOLDER until the Redis-backed `RedisTrendingStore` (src/trending/) lands: every call fails,
 * so answers are served without trending and list "trending" in `unavailable_signals`, and
 * GetTrending answers UNAVAILABLE.
 *
 * @param redisUrl - the Redis URL (unused by the placeholder).
 * @param logger - receives a warning that trending is not wired.
 */
export async function connectTrendingSource(redisUrl: string, logger: Logger): Promise<TrendingConnection> {
  logger.warn({ redisUrl }, "trending store not available in this build; serving without the trending signal");
  const fail = (): Promise<never> => Promise.reject(new Error("trending store not wired"));
  return { source: { top: fail, scores: fail }, close: async () => undefined };
}
