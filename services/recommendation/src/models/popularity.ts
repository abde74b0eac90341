import type { Engagement } from "../../../shared/src/event-kinds.js";
import { compareIds } from "../../../shared/src/ids.js";

/** The highest rating (stars); RecordEvent accepts 0.5 to 5. */
export const MAX_RATING = 5;

/** Rating given to a "like" when it stands for an explicit opinion. */
export const LIKE_RATING = 5;

/** Rating given to a "dislike" when it stands for an explicit opinion. */
export const DISLIKE_RATING = 1;

/** The popularity of one product. */
export interface ItemPopularity {
  /** The product. */
  readonly productId: string;
  /**
   * The popularity score in [0, 1]: the Bayesian-average rating divided by 5, times the count
   * factor `ln(1 + n) / ln(1 + maxN)` (see {@link computePopularity}).
   */
  readonly score: number;
  /** n: the number of users with an explicit opinion of the product (ratings, likes, dislikes). */
  readonly ratingCount: number;
  /** The plain mean of those opinions, in stars (0.5 to 5). */
  readonly meanRating: number;
}

/** Options of {@link computePopularity}. */
export interface PopularityOptions {
  /**
   * C, the prior's weight in pseudo-ratings. Default: the mean number of opinions per rated
   * product (so an item needs an average amount of evidence to move halfway from the prior).
   */
  readonly priorWeight?: number;
}

/**
 * Accumulates the explicit opinions in an engagement stream: for each (user, product) pair, the
 * user's latest explicit opinion in stream order (acceptance order, so a re-rating replaces the
 * earlier rating and a later "like" overrides a rating):
 *
 * - "rate" counts its value (0.5 to 5 stars);
 * - "like" counts as {@link LIKE_RATING} (5) and "dislike" as {@link DISLIKE_RATING} (1), so the
 *   explicit thumbs of users who never rate still count;
 * - "click" and "view" are ignored (they feed the trending signal, not popularity).
 */
export class OpinionAccumulator {
  private readonly opinions = new Map<string, { productId: string; value: number }>();
  private eventCount = 0;

  /** Adds a page of events, in acceptance order. */
  add(events: Iterable<Engagement>): void {
    for (const e of events) {
      this.eventCount++;
      const value = e.kind === "rate" ? e.value : e.kind === "like" ? LIKE_RATING : e.kind === "dislike" ? DISLIKE_RATING : undefined;
      if (value === undefined || !Number.isFinite(value) || value <= 0) continue;
      this.opinions.set(`${e.userId}\u0000${e.productId}`, { productId: e.productId, value });
    }
  }

  /** Number of events seen, of every kind. */
  get events(): number {
    return this.eventCount;
  }

  /** The latest opinion of each (user, product) pair. */
  values(): IterableIterator<{ productId: string; value: number }> {
    return this.opinions.values();
  }
}

/**
 * Computes each product's popularity for cold start from explicit opinions (see
 * {@link OpinionAccumulator}), combining quality and quantity:
 *
 * 1. the Bayesian average (the IMDb Top 250 "weighted rating",
 *    https://help.imdb.com/article/imdb/track-movies-tv/ratings-faq/G67Y87TFYYP6TWAV):
 *    `WR = (C·m + Σr) / (C + n)` where n is the product's number of opinions, Σr their sum, m the
 *    mean of all opinions of all products and C the prior weight (default: the mean n over rated
 *    products), so a product with few ratings is pulled towards m;
 * 2. weighted by count on a log scale: `score = (WR / 5) · ln(1 + n) / ln(1 + maxN)`, maxN being
 *    the largest n of any product, so a well-rated product that many people rated outranks an
 *    equally rated obscure one. The score is in [0, 1].
 *
 * Products without opinions are absent (popularity 0).
 *
 * @param opinions - the latest opinion of each (user, product) pair, in stars.
 * @param options - the prior weight C.
 * @returns the popularity of every product with at least one opinion, best first (ties by id).
 */
export function computePopularity(
  opinions: Iterable<{ productId: string; value: number }>,
  options: PopularityOptions = {},
): ItemPopularity[] {
  const sums = new Map<string, { n: number; sum: number }>();
  let total = 0;
  let count = 0;
  for (const { productId, value } of opinions) {
    let s = sums.get(productId);
    if (!s) sums.set(productId, (s = { n: 0, sum: 0 }));
    s.n++;
    s.sum += value;
    total += value;
    count++;
  }
  if (count === 0) return [];
  const m = total / count;
  const c = options.priorWeight ?? count / sums.size;
  let maxN = 0;
  for (const s of sums.values()) maxN = Math.max(maxN, s.n);
  const countScale = Math.log(1 + maxN);
  const items: ItemPopularity[] = [];
  for (const [productId, { n, sum }] of sums) {
    const weighted = (c * m + sum) / (c + n);
    items.push({
      productId,
      score: (weighted / MAX_RATING) * (Math.log(1 + n) / countScale),
      ratingCount: n,
      meanRating: sum / n,
    });
  }
  return items.sort((a, b) => b.score - a.score || compareIds(a.productId, b.productId));
}
