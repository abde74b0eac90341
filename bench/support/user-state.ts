import { Redis } from "ioredis";

/**
 * Waits until the trending consumer has built the per-user state from the engagement database
 * (the readiness marker `recsys:user:ready`, see services/recommendation/src/storage/user-state/).
 * Before that, GetRecommendations reads profiles from EngagementService, which is not the path the
 * benchmarks measure.
 *
 * @param redisUrl - the mesh's Redis, `redis://host:port`.
 * @param timeoutMs - how long to wait, in ms (default 300,000).
 * @returns how long it waited, in ms.
 * @throws when the marker is not there within `timeoutMs`.
 */
export async function waitForUserState(redisUrl: string, timeoutMs = 300_000): Promise<number> {
  const startedAt = Date.now();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    while ((await redis.exists("recsys:user:ready")) === 0) {
      if (Date.now() - startedAt > timeoutMs) {
        throw new Error(`the per-user state was not ready within ${timeoutMs / 1000} s (see the trending-consumer log)`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    redis.disconnect();
  }
  return Date.now() - startedAt;
}
