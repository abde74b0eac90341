import type { TrendingEntry, TrendingSource } from "../domain/trending-source.js";
import type { OptionalSignal } from "./optional-signal.js";

/**
 * The trending signal of one request, read through an {@link OptionalSignal} so that a slow or
 * failed trending store never fails the request: its reads then return empty answers and the
 * signal reports itself unavailable.
 */
export class TrendingSignal {
  /**
   * @param source - the trending store (Redis).
   * @param signal - the request's optional-signal guard named "trending" (timeout, one warning).
   */
  constructor(
    private readonly source: TrendingSource,
    private readonly signal: OptionalSignal,
  ) {}

  /** True once a read failed or timed out. */
  get unavailable(): boolean {
    return this.signal.unavailable;
  }

  /**
   * The top of the trending list, highest first.
   *
   * @param category - a category as the catalog spells it, or undefined for the whole catalog.
   * @param limit - the most entries (a count).
   * @returns the entries; empty when the store is unavailable.
   */
  top(category: string | undefined, limit: number): Promise<TrendingEntry[]> {
    return this.signal.read(() => this.source.top(category, limit), []);
  }

  /**
   * The trending scores of the candidates: those of the top list already read, and for the others
   * their score in the top {@link TRENDING_SCORE_SNAPSHOT} products overall, a list that the
   * caching source serves from memory (`CachedTrendingSource`, refreshed every 100 ms), so a request
   * makes no Redis call per candidate. A candidate outside that list scores 0: its decayed count is
   * below the 2,000th product's, a negligible share of the trending weight once normalised by the
   * candidates' maximum.
   *
   * @param ids - the candidates.
   * @param top - the top list read earlier in the request.
   * @returns product id → decayed score now (absent for products without recent events).
   */
  async scores(ids: readonly string[], top: readonly TrendingEntry[]): Promise<Map<string, number>> {
    const scores = new Map(top.map((t) => [t.productId, t.score] as const));
    if (ids.every((id) => scores.has(id))) return scores;
    const snapshot = await this.signal.read(() => this.source.top(undefined, TRENDING_SCORE_SNAPSHOT), []);
    let byId = snapshotMaps.get(snapshot);
    if (!byId) {
      byId = new Map(snapshot.map((t) => [t.productId, t.score] as const));
      snapshotMaps.set(snapshot, byId);
    }
    for (const id of ids) {
      if (scores.has(id)) continue;
      const score = byId.get(id);
      if (score !== undefined) scores.set(id, score);
    }
    return scores;
  }
}

/** How many of the overall trending list the candidates' trending scores are read from (2,000). */
export const TRENDING_SCORE_SNAPSHOT = 2_000;

/** Each snapshot list's scores by id, built once per list object (the cache hands out the same object for 100 ms). */
const snapshotMaps = new WeakMap<readonly TrendingEntry[], ReadonlyMap<string, number>>();
