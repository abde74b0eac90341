import type { ServingState } from "../serving-state.js";

/** The content signal of a user's candidates (see {@link contentScores}). */
export interface ContentScores {
  /** Candidate id → recency-weighted mean cosine similarity to the user's positives, in [0, 1]. */
  readonly raw: Map<string, number>;
  /**
   * The positive that contributes most to a candidate's content score (the "because you liked" of
   * its reason), computed on demand, for the few items that are returned.
   *
   * @returns its id, or undefined when no positive is similar at all.
   */
  because(candidateId: string): string | undefined;
}

/**
 * The content signal of each candidate for a user: the recency-weighted mean cosine similarity of
 * its TF-IDF vector to the user's positives, `Σ_j d^j·cos(c, p_j) / Σ_j d^j` (p_0 the most recent
 * positive, d = `decay`) — the item-based top-N aggregation of Deshpande and Karypis, "Item-based
 * top-N recommendation algorithms", ACM TOIS 22(1), 2004, with recency weights. It is computed as
 * one sparse dot product per candidate with the positives' weighted mean vector
 * (`ContentModel.meanSimilarity`); the positive behind each returned item's reason is found only
 * for the items that are returned.
 *
 * @param state - the served state (its content model gives the cosines).
 * @param ids - the candidates.
 * @param positives - the user's positives, most recent first (already restricted to the catalog).
 * @param decay - recency decay d in (0, 1].
 * @returns empty scores when the user has no positives.
 */
export function contentScores(state: ServingState, ids: readonly string[], positives: readonly string[], decay: number): ContentScores {
  const raw = new Map<string, number>();
  if (positives.length === 0) return { raw, because: () => undefined };
  const weighted = positives.map((p, j) => ({ id: p, weight: decay ** j }));
  const means = state.content.meanSimilarity(ids, weighted);
  ids.forEach((id, c) => raw.set(id, means[c]!));
  const because = (id: string): string | undefined => {
    let best = 0;
    let bestId: string | undefined;
    for (const p of weighted) {
      const contribution = p.weight * state.content.similarity(id, p.id);
      if (contribution > best) {
        best = contribution;
        bestId = p.id;
      }
    }
    return bestId;
  };
  return { raw, because };
}
