import type { Redis } from "ioredis";

/**
 * Records, next to the trending statistics, which Kafka partitions' history they hold, so that a
 * consumer can tell that the statistics were lost (Redis restarted empty, flushed or failed over
 * without its data) and rebuild them by replaying the retained log.
 *
 * A partition is "covered" once its consumer has started reading it from the log's first retained
 * offset into this store; the marker lives in the same Redis as the statistics, without TTL, so it
 * disappears exactly when they do.
 */
export interface CoverageMarkers {
  /**
   * The partitions of `topic`, among `partitions`, whose coverage marker is missing.
   *
   * @throws when the store is unreachable.
   */
  missing(topic: string, partitions: readonly number[]): Promise<number[]>;
  /**
   * Marks a partition covered.
   *
   * @throws when the store is unreachable.
   */
  mark(topic: string, partition: number): Promise<void>;
}

/**
 * {@link CoverageMarkers} in one Redis hash, `<prefix>trending:coverage`, field `<topic>:<partition>`
 * = the time (ISO 8601) the replay of that partition started. No TTL: it must live exactly as long as
 * the statistics (whose keys have TTLs refreshed by every event; an idle store whose keys all
 * expired is rebuilt by a replay, which is the right outcome too).
 */
export class RedisCoverageMarkers implements CoverageMarkers {
  /** The hash's key. */
  readonly key: string;

  /**
   * @param redis - the trending store's ioredis client.
   * @param prefix - the trending key prefix (`TRENDING_KEY_PREFIX`, default `recsys:`).
   */
  constructor(
    private readonly redis: Redis,
    prefix = "recsys:",
  ) {
    this.key = `${prefix}trending:coverage`;
  }

  async missing(topic: string, partitions: readonly number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const values = await this.redis.hmget(this.key, ...partitions.map((p) => `${topic}:${p}`));
    return partitions.filter((_, i) => values[i] === null);
  }

  async mark(topic: string, partition: number): Promise<void> {
    await this.redis.hset(this.key, `${topic}:${partition}`, new Date().toISOString());
  }
}
