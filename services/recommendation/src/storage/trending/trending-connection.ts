import type { Logger } from "pino";
import type { TrendingSource } from "../../serving/domain/trending-source.js";
import { connectTrendingStore } from "./connect-trending-store.js";

/** A connected trending source and how to close it. */
export interface TrendingConnection {
  /** The trending signal. */
  readonly source: TrendingSource;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects the trending signal: the Redis-backed `RedisTrendingStore` (forward-decayed event counts
 * written by the trending consumer), configured by the same `TRENDING_*` variables as the consumer
 * so that both agree on τ and the key prefix.
 *
 * Once connected, a Redis outage does not fail requests: the recommender serves without the
 * trending signal and lists "trending" in `unavailable_signals` (GetTrending answers UNAVAILABLE).
 *
 * @param redisUrl - `redis://host:port[/db]`.
 * @param logger - the process logger.
 * @throws Error when Redis cannot be reached at start or a TRENDING_* variable is invalid.
 */
export async function connectTrendingSource(redisUrl: string, logger: Logger): Promise<TrendingConnection> {
  const connection = await connectTrendingStore(redisUrl, logger);
  return { source: connection.store, close: () => connection.close() };
}
