import type { Contributions } from "./blend.js";

/** What a reason may mention. */
export interface ReasonContext {
  /** Title of the seed product of GetSimilarProducts ("similar to <title>"). */
  readonly similarTo?: string | undefined;
  /** Title of the liked product that made a user's content signal ("because you liked <title>"). */
  readonly liked?: string | undefined;
  /** The category the request was restricted to, as the catalog spells it. */
  readonly category?: string | undefined;
}

/**
 * A short human reason for a ranked item: the signal that contributed most to its score
 * ("because you liked Heat (1995)" for a user, "similar to Heat (1995)" for a seed product,
 * "people with similar taste watched this", "trending in Comedy" / "trending now",
 * "popular in Comedy" / "popular"). Ties prefer content, then collaborative, then
 * trending, then popularity. An item nothing contributed to is "popular" (it came from the
 * popularity candidates).
 *
 * @param c - the item's contributions.
 * @param ctx - the title behind the content signal and the request's category.
 */
export function reasonFor(c: Contributions, ctx: ReasonContext): string {
  const order = ["content", "collaborative", "trending", "popularity"] as const;
  let best: (typeof order)[number] | undefined;
  for (const name of order) if (c[name] > 0 && (best === undefined || c[name] > c[best])) best = name;
  const inCategory = ctx.category ? ` in ${ctx.category}` : "";
  switch (best) {
    case "content":
      if (ctx.liked) return `because you liked ${ctx.liked}`;
      return ctx.similarTo ? `similar to ${ctx.similarTo}` : "similar to what you liked";
    case "collaborative":
      return "people with similar taste watched this";
    case "trending":
      return ctx.category ? `trending${inCategory}` : "trending now";
    default:
      return `popular${inCategory}`;
  }
}
