import type { ServingState } from "../serving-state.js";

/** The content signal of a user's candidates (see {@link contentScores}). */
export interface ContentScores {
  /** Candidate id → recency-weighted mean cosine similarity to the user's positives, in [0, 1]. */
  readonly raw: Map<string, number>;
  /** Candidate id → the positive that contributed most (the "similar to" of its reason). */
  readonly because: Map<string, string>;
}

/**
 * The content signal of each candidate for a user: the recency-weighted mean cosine similarity of
 * its TF-IDF vector to the user's positives, `Σ_j d^j·cos(c, p_j) / Σ_j d^j` (p_0 the most recent
 * positive, d = `decay`) — the item-based top-N aggregation of Deshpande and Karypis, "Item-based
 * top-N recommendation algorithms", ACM TOIS 22(1), 2004, with recency weights — and for each
 * candidate the positive that contributed most.
 *
 * @param state - the served state (its content model gives the cosines).
 * @param ids - the candidates.
 * @param positives - the user's positives, most recent first (already restricted to the catalog).
 * @param decay - recency decay d in (0, 1].
 * @returns empty maps when the user has no positives.
 */
export function contentScores(state: ServingState, ids: readonly string[], positives: readonly string[], decay: number): ContentScores {
  const raw = new Map<string, number>();
  const because = new Map<string, string>();
  if (positives.length === 0) return { raw, because };
  const weighted = positives.map((p, j) => ({ id: p, weight: decay ** j }));
  const totalWeight = weighted.reduce((sum, v) => sum + v.weight, 0);
  for (const id of ids) {
    let sum = 0;
    let best = 0;
    for (const p of weighted) {
      const contribution = p.weight * state.content.similarity(id, p.id);
      sum += contribution;
      if (contribution > best) {
        best = contribution;
        because.set(id, p.id);
      }
    }
    raw.set(id, sum / totalWeight);
  }
  return { raw, because };
}
