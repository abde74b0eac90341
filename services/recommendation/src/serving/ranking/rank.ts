import { compareIds } from "../../../../shared/src/ids.js";
import { totalScore, type Contributions, type SignalValues } from "../domain/blend.js";
import { normalizeByMax } from "../domain/normalize.js";
import { reasonFor, type ReasonContext } from "../domain/reasons.js";
import type { ServingState } from "../serving-state.js";

/** One ranked product with its scores and reason. */
export interface RankedItem {
  /** The product. */
  readonly productId: string;
  /** Its display title. */
  readonly title: string;
  /** Its categories. */
  readonly categories: readonly string[];
  /** The final blended score in [0, 1]. */
  readonly score: number;
  /** The normalised per-signal scores. */
  readonly signals: SignalValues;
  /** A short human reason. */
  readonly reason: string;
}

/** Raw (not yet normalised) signal values of the candidates; a candidate absent from a map scores 0 there. */
export type RawSignals = Readonly<Record<keyof SignalValues, ReadonlyMap<string, number>>>;

/**
 * Normalises every signal over the candidate set by dividing by its maximum (DESIGN.md, "Scoring
 * contract": all signals in [0, 1] over the candidates before blending).
 *
 * @param ids - the candidates.
 * @param raw - raw values per signal.
 * @returns normalised values per signal, each in [0, 1].
 */
export function normalizeSignals(ids: readonly string[], raw: RawSignals): RawSignals {
  return {
    collaborative: normalizeByMax(ids, raw.collaborative),
    content: normalizeByMax(ids, raw.content),
    trending: normalizeByMax(ids, raw.trending),
    popularity: normalizeByMax(ids, raw.popularity),
  };
}

/** How one candidate's normalised signals become the weighted contributions of its score. */
export type BlendOf = (id: string, signals: SignalValues) => Contributions;

/** What the reason of a returned item may mention (asked only for the items returned). */
export type ReasonContextOf = (id: string) => ReasonContext;

/**
 * Re-ranking: scores every candidate with `blend` (the score is the sum of its contributions),
 * orders by score, then raw popularity, then id (`compareIds`, so ties are deterministic), keeps
 * the first `limit` and explains each of them (`reasonFor` over `reasonContext`).
 *
 * @param state - the served state (titles and categories of the candidates, all in its catalog).
 * @param ids - the candidates.
 * @param norm - normalised signals (see {@link normalizeSignals}).
 * @param popularityRaw - raw popularity, the first tie-break.
 * @param limit - items to return, 1 to 100.
 * @param blend - the blend of this RPC (personalised, cold start or item to item).
 * @param reasonContext - what each returned item's reason may mention.
 * @returns at most `limit` items, best first.
 */
export function rank(
  state: ServingState,
  ids: readonly string[],
  norm: RawSignals,
  popularityRaw: ReadonlyMap<string, number>,
  limit: number,
  blend: BlendOf,
  reasonContext: ReasonContextOf,
): RankedItem[] {
  const scored = ids.map((id) => {
    const signals: SignalValues = {
      collaborative: norm.collaborative.get(id) ?? 0,
      content: norm.content.get(id) ?? 0,
      trending: norm.trending.get(id) ?? 0,
      popularity: norm.popularity.get(id) ?? 0,
    };
    const contributions = blend(id, signals);
    return { id, signals, contributions, score: totalScore(contributions) };
  });
  scored.sort(
    (a, b) => b.score - a.score || (popularityRaw.get(b.id) ?? 0) - (popularityRaw.get(a.id) ?? 0) || compareIds(a.id, b.id),
  );
  return scored.slice(0, limit).map((s) => {
    const product = state.catalog.get(s.id)!;
    return {
      productId: s.id,
      title: product.title,
      categories: product.categories,
      score: s.score,
      signals: s.signals,
      reason: reasonFor(s.contributions, reasonContext(s.id)),
    };
  });
}
