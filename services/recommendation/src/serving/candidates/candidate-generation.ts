import type { CollaborativeModel } from "../domain/collaborative.js";
import type { TrendingEntry } from "../domain/trending-source.js";
import type { ServingState } from "../serving-state.js";

/** Whether a product may be recommended in one request (in the catalog, not seen, not excluded, in the category). */
export type Eligibility = (productId: string) => boolean;

/**
 * The eligibility filter of one request.
 *
 * @param state - the served state (its catalog).
 * @param seen - products the user already rated, liked or disliked.
 * @param exclude - products the request excludes.
 * @param category - the resolved category (as the catalog spells it), or undefined for all.
 */
export function eligibility(
  state: ServingState,
  seen: ReadonlySet<string>,
  exclude: ReadonlySet<string>,
  category: string | undefined,
): Eligibility {
  const { catalog } = state;
  return (id) => catalog.has(id) && !seen.has(id) && !exclude.has(id) && (category === undefined || catalog.inCategory(id, category));
}

/** What {@link personalCandidates} draws from. */
export interface PersonalCandidateSources {
  /** The served state (content neighbours, popularity). */
  readonly state: ServingState;
  /** The user. */
  readonly userId: string;
  /** The user's positives, most recent first (at most `maxPositives`, in the catalog). */
  readonly positives: readonly string[];
  /** The collaborative model when it knows this user, else undefined. */
  readonly collaborative: CollaborativeModel | undefined;
  /** The top of the trending list read for this request (may be empty). */
  readonly trendingTop: readonly TrendingEntry[];
  /** The request's eligibility filter. */
  readonly eligible: Eligibility;
  /** Products the collaborative model contributes, at most (a count, default 200). */
  readonly collaborativeCandidates: number;
  /** Most popular eligible products added, at most (a count, default 200). */
  readonly popularCandidates: number;
  /** The user's item-KNN products, best first (see `itemKnnScores`); the first `itemKnnCandidates` eligible ones join. */
  readonly itemKnnRanked?: readonly string[] | undefined;
  /** How many item-KNN products join the candidates (a count, default 0). */
  readonly itemKnnCandidates?: number;
}

/**
 * Candidate generation for a user, in this order, each source's eligible products only: the
 * content neighbours of the user's positives, the collaborative model's top
 * `collaborativeCandidates` for the user, the first `itemKnnCandidates` of the user's item-KNN
 * products, the trending top list, and the `popularCandidates` most
 * popular products (the two-stage retrieval-then-ranking pattern of Covington et al., "Deep Neural
 * Networks for YouTube Recommendations", RecSys 2016).
 *
 * @returns the distinct candidate ids, in first-found order.
 */
export function personalCandidates(sources: PersonalCandidateSources): string[] {
  const { state, eligible } = sources;
  const candidates = new Set<string>();
  for (const p of sources.positives) for (const n of state.neighbors(p)) if (eligible(n.productId)) candidates.add(n.productId);
  if (sources.collaborative) {
    for (const id of sources.collaborative.topCandidates(sources.userId, sources.collaborativeCandidates, eligible)) candidates.add(id);
  }
  let knnAdded = 0;
  for (const id of sources.itemKnnRanked ?? []) {
    if (knnAdded >= (sources.itemKnnCandidates ?? 0)) break;
    if (eligible(id)) candidates.add(id), knnAdded++;
  }
  for (const t of sources.trendingTop) if (eligible(t.productId)) candidates.add(t.productId);
  let popularAdded = 0;
  for (const p of state.popular()) {
    if (popularAdded >= sources.popularCandidates) break;
    if (eligible(p.productId)) {
      candidates.add(p.productId);
      popularAdded++;
    }
  }
  return [...candidates];
}

/** The candidates of GetSimilarProducts with the raw signal each list brings. */
export interface SimilarCandidates {
  /** The union of both lists, content neighbours first. */
  readonly ids: string[];
  /** Candidate → cosine similarity to the seed (only the seed's stored content neighbours). */
  readonly cosine: Map<string, number>;
  /** Candidate → trending score (only the trending top list). */
  readonly trending: Map<string, number>;
}

/**
 * Candidate generation for the products similar to a seed: the union of the seed's stored top-k
 * content neighbours and the trending top list, never the seed, only products in the catalog. A
 * product found by only one list has no value for the other signal (it scores 0 there).
 *
 * @param state - the served state.
 * @param seedId - the seed product (in the catalog).
 * @param trendingTop - the trending top list read for this request (may be empty).
 */
export function similarCandidates(state: ServingState, seedId: string, trendingTop: readonly TrendingEntry[]): SimilarCandidates {
  const { catalog } = state;
  const cosine = new Map<string, number>();
  for (const n of state.neighbors(seedId)) {
    if (n.productId !== seedId && catalog.has(n.productId)) cosine.set(n.productId, n.score);
  }
  const trending = new Map<string, number>();
  for (const t of trendingTop) {
    if (t.productId !== seedId && catalog.has(t.productId)) trending.set(t.productId, t.score);
  }
  return { ids: [...new Set([...cosine.keys(), ...trending.keys()])], cosine, trending };
}
