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
   * The trending scores of the candidates: those of the top list already read, plus one `scores`
   * call for the candidates missing from it.
   *
   * @param ids - the candidates.
   * @param top - the top list read earlier in the request.
   * @returns product id → decayed score now (absent or 0 for products without recent events).
   */
  async scores(ids: readonly string[], top: readonly TrendingEntry[]): Promise<Map<string, number>> {
    const scores = new Map(top.map((t) => [t.productId, t.score] as const));
    const missing = ids.filter((id) => !scores.has(id));
    if (missing.length > 0) {
      const more = await this.signal.read(() => this.source.scores(missing), new Map<string, number>());
      for (const [id, score] of more) scores.set(id, score);
    }
    return scores;
  }
}
