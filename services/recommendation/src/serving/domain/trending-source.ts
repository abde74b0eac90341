import type { EngagementCounts } from "../../../../shared/src/event-kinds.js";

/** One entry of a trending list. */
export interface TrendingEntry {
  /** The trending product. */
  readonly productId: string;
  /** Its decayed engagement now: the weighted number of recent events, each counting exp(-age / tau). */
  readonly score: number;
}


/** One product's engagement statistics, as the trending consumer counted them (each event_id once). */
export interface ProductStatsEntry {
  /** Events per type since the statistics began. */
  readonly allTime: EngagementCounts;
  /** Events per type over the trending window. */
  readonly window: EngagementCounts;
  /** The window length, in seconds. */
  readonly windowSeconds: number;
  /** The decayed trending score now (as `scores` reports it). */
  readonly trendingScore: number;
}

/**
 * The trending signal as serving reads it: time-decayed engagement counts, kept in Redis by the
 * trending consumer (stream/) and read through `RedisTrendingStore` (storage/trending/), which
 * satisfies this interface. Declared here, narrower than the store, so serving depends only on
 * the reads it makes.
 */
export interface TrendingSource {
  /**
   * The products with the highest decayed score now, highest first.
   *
   * @param category - a category as the catalog spells it, or undefined for the whole catalog.
   * @param limit - the largest number of entries to return.
   * @throws when the store is unreachable (callers degrade, see `unavailable_signals`).
   */
  top(category: string | undefined, limit: number): Promise<TrendingEntry[]>;
  /**
   * The decayed scores now of the given products; products without recent events are absent or 0.
   *
   * @throws when the store is unreachable.
   */
  scores(productIds: string[]): Promise<Map<string, number>>;
  /**
   * One product's exact event counts (all time and over the window) and trending score.
   *
   * @throws when the store is unreachable.
   */
  productStats(productId: string): Promise<ProductStatsEntry>;
}
