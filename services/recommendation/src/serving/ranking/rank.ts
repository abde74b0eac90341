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

/**
 * Raw signal values of the candidates as columns: entry `i` of each array belongs to `ids[i]`
 * (what {@link rankColumns} reads; cheaper than one Map per signal when a request has a thousand
 * candidates).
 */
export interface SignalColumns {
  /** The candidates. */
  readonly ids: readonly string[];
  /** Raw collaborative scores (NaN, negative or absent: 0). */
  readonly collaborative: ArrayLike<number>;
  /** Raw content scores. */
  readonly content: ArrayLike<number>;
  /** Raw trending scores. */
  readonly trending: ArrayLike<number>;
  /** Raw popularity, also the first tie-break. */
  readonly popularity: ArrayLike<number>;
}

/**
 * {@link normalizeSignals} and {@link rank} in one pass over columns, with the same results: every
 * signal divided by its maximum over the candidates (negative and non-finite values count 0), the
 * score the sum of `blend`'s contributions, ordered by score, then raw popularity, then id, the
 * first `limit` explained with `reasonContext`.
 *
 * @param state - the served state (titles and categories, all candidates in its catalog).
 * @param columns - the candidates and their raw signals.
 * @param limit - items to return, 1 to 100.
 * @param blend - the blend of this RPC.
 * @param reasonContext - what each returned item's reason may mention.
 * @returns at most `limit` items, best first.
 */
export function rankColumns(
  state: ServingState,
  columns: SignalColumns,
  limit: number,
  blend: BlendOf,
  reasonContext: ReasonContextOf,
): RankedItem[] {
  const n = columns.ids.length;
  const clean = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0);
  const normalised = (raw: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = clean(raw[i]);
      out[i] = v;
      if (v > max) max = v;
    }
    for (let i = 0; i < n; i++) out[i] = max > 0 ? out[i]! / max : 0;
    return out;
  };
  const cf = normalised(columns.collaborative);
  const content = normalised(columns.content);
  const trending = normalised(columns.trending);
  const popularity = normalised(columns.popularity);
  const signalsOf = (i: number): SignalValues => ({ collaborative: cf[i]!, content: content[i]!, trending: trending[i]!, popularity: popularity[i]! });
  const rawPopularity = (i: number): number => columns.popularity[i] ?? 0;
  /** Whether candidate a ranks before candidate b. */
  const before = (a: number, b: number, scoreA: number, scoreB: number): boolean =>
    scoreA !== scoreB ? scoreA > scoreB : rawPopularity(a) !== rawPopularity(b) ? rawPopularity(a) > rawPopularity(b) : compareIds(columns.ids[a]!, columns.ids[b]!) < 0;
  // Top-`limit` selection: the kept candidates stay sorted, best first; a candidate enters only when
  // it ranks before the last kept one (O(n) for the usual limit of 10, instead of sorting all n).
  const order: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    const score = totalScore(blend(columns.ids[i]!, signalsOf(i)));
    if (order.length >= limit && !before(i, order[order.length - 1]!, score, kept[kept.length - 1]!)) continue;
    let at = order.length;
    while (at > 0 && before(i, order[at - 1]!, score, kept[at - 1]!)) at--;
    order.splice(at, 0, i);
    kept.splice(at, 0, score);
    if (order.length > limit) {
      order.pop();
      kept.pop();
    }
  }
  return order.map((i) => {
    const id = columns.ids[i]!;
    const product = state.catalog.get(id)!;
    const signals = signalsOf(i);
    const contributions = blend(id, signals);
    return {
      productId: id,
      title: product.title,
      categories: product.categories,
      score: totalScore(contributions),
      signals,
      reason: reasonFor(contributions, reasonContext(id)),
    };
  });
}
