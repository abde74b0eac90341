/** Options of {@link TtlLruCache}. */
export interface TtlLruCacheOptions {
  /** Largest number of entries kept; the least recently used is evicted beyond it (0 disables the cache). */
  readonly maxEntries: number;
  /** How long an entry stays valid after it was set, in ms. */
  readonly ttlMs: number;
  /** Clock in ms since the epoch (default `Date.now`), injectable for tests. */
  readonly now?: () => number;
}

/**
 * A small bounded LRU cache whose entries also expire `ttlMs` after they were set. It relies on the
 * insertion order of `Map`: a hit re-inserts the entry at the end, so the first key is always the
 * least recently used. Memory is bounded by `maxEntries`; every operation is O(1).
 *
 * @typeParam V - the cached value type.
 */
export class TtlLruCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly now: () => number;

  /** @param options - capacity (entries) and time to live (ms). */
  constructor(private readonly options: TtlLruCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The number of entries held (expired ones included until they are touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the value cached for `key` and marks it most recently used.
   *
   * @returns the value, or undefined when absent or expired (an expired entry is removed).
   */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Caches `value` under `key` for `ttlMs`, evicting the least recently used entries beyond `maxEntries`. */
  set(key: string, value: V): void {
    if (this.options.maxEntries <= 0 || this.options.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
