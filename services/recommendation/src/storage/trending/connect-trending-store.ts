import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RedisTrendingStore } from "./redis-trending-store.js";
import { loadTrendingConfig, trendingStoreOptions, type TrendingConfig } from "./trending-config.js";
import { connectTrendingRedis } from "./trending-redis.js";

/** A connected {@link RedisTrendingStore} and how to close it. */
export interface TrendingStoreConnection {
  /** The store. */
  readonly store: RedisTrendingStore;
  /** The underlying ioredis client. */
  readonly redis: Redis;
  /** Closes the Redis connection (QUIT). */
  close(): Promise<void>;
}

/**
 * Connects Redis (see {@link connectTrendingRedis} for the client settings) and builds the trending
 * store from the TRENDING_* configuration, for any process that reads or writes trending statistics.
 *
 * @param redisUrl - `redis://host:port[/db]`.
 * @param logger - the process logger.
 * @param config - the trending configuration (default: read from the environment).
 * @throws Error when Redis cannot be reached at start, or the configuration is invalid.
 */
export async function connectTrendingStore(
  redisUrl: string,
  logger: Logger,
  config: TrendingConfig = loadTrendingConfig(),
): Promise<TrendingStoreConnection> {
  const redis = await connectTrendingRedis(redisUrl, logger);
  const store = new RedisTrendingStore(redis, trendingStoreOptions(config));
  return {
    store,
    redis,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
