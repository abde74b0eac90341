import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Connects an ioredis client for the trending statistics and waits until it is ready.
 *
 * Settings, chosen for callers that have their own retry or fallback (the consumer retries a batch
 * without committing its offsets; the recommendation service degrades without the trending signal):
 * - `enableOfflineQueue: false`: while disconnected, commands fail at once instead of queueing in
 *   memory without bound, so an outage is seen (and logged, and backed off) rather than hidden;
 * - `maxRetriesPerRequest: 1`: a command caught by a dropped connection is retried once after
 *   reconnecting, then fails (applying an event twice is harmless: it is deduplicated);
 * - `commandTimeout` (default 5000 ms): a command on a hung connection fails instead of waiting forever;
 * - reconnects forever with a backoff of 50 ms × attempt, capped at 2 s (ioredis' `retryStrategy`).
 *
 * @param url - `redis://host:port[/db]`.
 * @param logger - receives connection state changes (once per change).
 * @param options - `commandTimeoutMs` and `connectTimeoutMs` (defaults 5000 and 5000).
 * @throws Error when the first connection cannot be made within `connectTimeoutMs`.
 */
export async function connectTrendingRedis(
  url: string,
  logger: Logger,
  options: { commandTimeoutMs?: number; connectTimeoutMs?: number } = {},
): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 50, 2_000),
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (!down) logger.warn({ err: err.message }, "Redis connection error");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info("Redis connection restored");
    down = false;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}
