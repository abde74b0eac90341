import { LRUCache } from "lru-cache";
import type { ProductStatsEntry, TrendingEntry, TrendingSource } from "../domain/trending-source.js";

/** Options of {@link CachedTrendingSource}. */
export interface CachedTrendingSourceOptions {
  /** How long a top list is served from memory after it was read, in ms (default 100; 0 disables the cache). */
  readonly ttlMs?: number;
  /** Top lists kept, by category and length (default 1,000). */
  readonly maxLists?: number;
}

/**
 * A {@link TrendingSource} that serves the trending top lists from memory for `ttlMs` after
 * reading them from the store (DESIGN.md, "Serving path": trending top lists read from memory,
 * refreshed within 100 ms): at 1,000 requests/s one Redis read per list per 100 ms instead of one
 * per request. Concurrent requests for a list being read share that read; a failed read is not
 * cached (the next request tries again, and the caller sees the failure). Per-product scores and
 * statistics are read through, uncached.
 */
export class CachedTrendingSource implements TrendingSource {
  private readonly lists: LRUCache<string, TrendingEntry[], { category: string | undefined; limit: number }> | undefined;

  /**
   * @param store - the trending store (Redis).
   * @param options - time to live and capacity.
   */
  constructor(
    private readonly store: TrendingSource,
    options: CachedTrendingSourceOptions = {},
  ) {
    const ttl = options.ttlMs ?? 100;
    this.lists =
      ttl > 0
        ? new LRUCache({
            max: options.maxLists ?? 1_000,
            ttl,
            fetchMethod: (_key, _stale, { context }) => this.store.top(context.category, context.limit),
          })
        : undefined;
  }

  async top(category: string | undefined, limit: number): Promise<TrendingEntry[]> {
    if (!this.lists) return this.store.top(category, limit);
    const list = await this.lists.fetch(`${limit}\u0000${category ?? ""}`, { context: { category, limit } });
    return list ?? [];
  }

  scores(productIds: string[]): Promise<Map<string, number>> {
    return this.store.scores(productIds);
  }

  productStats(productId: string): Promise<ProductStatsEntry> {
    return this.store.productStats(productId);
  }
}
