import type { Redis } from "ioredis";
import { logWatermarkField, logWatermarksKey } from "./redis-trending-store.js";

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
   * Marks a partition covered, just before its replay from the first retained offset is applied:
   * atomically with the marker, the partition's offset watermark is cleared (it may hold the offset
   * of events that reached the empty store before the loss was noticed; left, it would skip the
   * whole replay as redeliveries). Those few events stay in the partition's dedup window, so the
   * replay skips them instead of counting them twice.
   *
   * @throws when the store is unreachable.
   */
  mark(topic: string, partition: number): Promise<void>;
}

/**
 * {@link CoverageMarkers} in one Redis hash, `<prefix>trending:coverage`, field `<topic>:<partition>`
 * = the time (ISO 8601) the replay of that partition started. No TTL: it must live exactly as long as
 * the statistics (whose keys have TTLs refreshed by every event; an idle store whose keys all
 * expired is rebuilt by a replay, which is the right outcome too). Marking also deletes the
 * partition's field of the trending store's watermark hash ({@link logWatermarksKey}), in the same
 * MULTI/EXEC.
 */
export class RedisCoverageMarkers implements CoverageMarkers {
  /** The hash's key. */
  readonly key: string;
  /** The trending store's watermark hash, cleared per partition by {@link mark}. */
  private readonly watermarksKey: string;

  /**
   * @param redis - the trending store's ioredis client.
   * @param prefix - the trending key prefix (`TRENDING_KEY_PREFIX`, default `recsys:`).
   */
  constructor(
    private readonly redis: Redis,
    prefix = "recsys:",
  ) {
    this.key = `${prefix}trending:coverage`;
    this.watermarksKey = logWatermarksKey(prefix);
  }

  async missing(topic: string, partitions: readonly number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const values = await this.redis.hmget(this.key, ...partitions.map((p) => `${topic}:${p}`));
    return partitions.filter((_, i) => values[i] === null);
  }

  async mark(topic: string, partition: number): Promise<void> {
    const results = await this.redis
      .multi()
      .hset(this.key, `${topic}:${partition}`, new Date().toISOString())
      .hdel(this.watermarksKey, logWatermarkField(topic, partition))
      .exec();
    if (!results) throw new Error("coverage markers: transaction was discarded");
    for (const [err] of results) if (err) throw err;
  }
}
