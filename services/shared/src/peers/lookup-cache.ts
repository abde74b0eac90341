import { LRUCache } from "lru-cache";

/** Options of {@link createLookupCache}, as the peer clients take them. */
export interface LookupCacheOptions {
  /** Capacity, in entries (default 10,000; 0 disables the cache). */
  readonly cacheSize?: number;
  /** How long an entry is served after it was stored, in ms (default 60,000; 0 disables the cache). */
  readonly cacheTtlMs?: number;
  /** Clock in ms (default `Date.now`), for tests. */
  readonly now?: () => number;
}

/**
 * Creates the bounded cache of a peer client's positive answers (a product or user that exists):
 * an `lru-cache` LRUCache (https://github.com/isaacs/node-lru-cache) that evicts the least recently
 * read entry beyond `cacheSize` and serves an entry for `cacheTtlMs` after it was stored (reads do
 * not extend it; an entry older than that is dropped when read).
 *
 * @typeParam V - the cached value type.
 * @param options - capacity (entries), time to live (ms) and clock.
 * @returns the cache, or undefined when disabled (size or time to live 0).
 */
export function createLookupCache<V extends {}>(options: LookupCacheOptions = {}): LRUCache<string, V> | undefined {
  const max = options.cacheSize ?? 10_000;
  const ttl = options.cacheTtlMs ?? 60_000;
  if (max <= 0 || ttl <= 0) return undefined;
  const now = options.now ?? Date.now;
  // ttlResolution 0: read the clock on every check instead of caching it for 1 ms.
  return new LRUCache<string, V>({ max, ttl, ttlResolution: 0, perf: { now } });
}
