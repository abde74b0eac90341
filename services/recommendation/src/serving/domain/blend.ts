import type { BlendWeights } from "./blend-weights.js";

/** The per-signal scores of one candidate, each normalised to [0, 1] over the candidate set. */
export interface SignalValues {
  /** Collaborative-filtering score (0 while no collaborative model is loaded). */
  readonly collaborative: number;
  /** TF-IDF content similarity to the user's positives, or to the seed product. */
  readonly content: number;
  /** Time-decayed engagement. */
  readonly trending: number;
  /** Bayesian-average rating weighted by count. */
  readonly popularity: number;
}

/** The weighted contribution of each signal to a final score (they sum to the score). */
export interface Contributions {
  /** Weight × normalised collaborative score. */
  readonly collaborative: number;
  /** Weight × normalised content score. */
  readonly content: number;
  /** Weight × normalised trending score. */
  readonly trending: number;
  /** Weight × normalised popularity (cold start only). */
  readonly popularity: number;
}

/**
 * The personalised blend of DESIGN.md's scoring contract:
 * `score = relevance × (collaborative_w × cf + content_w × content) + trending_w × trending`.
 * Popularity does not contribute.
 *
 * @param s - normalised signals.
 * @param w - the effective weights (see `effectiveWeights`).
 * @returns each signal's contribution; their sum is the score, in [0, 1].
 */
export function personalizedContributions(s: SignalValues, w: BlendWeights): Contributions {
  return {
    collaborative: w.relevance * w.collaborative * s.collaborative,
    content: w.relevance * w.content * s.content,
    trending: w.trending * s.trending,
    popularity: 0,
  };
}

/**
 * The cold-start blend for a user without positives: popularity stands in for relevance,
 * `score = relevance × popularity + trending_w × trending`.
 *
 * @param s - normalised signals.
 * @param w - the weights (only relevance and trending are used).
 * @returns each signal's contribution; their sum is the score, in [0, 1].
 */
export function coldStartContributions(s: SignalValues, w: BlendWeights): Contributions {
  return { collaborative: 0, content: 0, trending: w.trending * s.trending, popularity: w.relevance * s.popularity };
}

/**
 * The item-to-item blend: `score = relevance × cosine + trending_w × trending` (0.8 and 0.2 by
 * default), a weighted sum over the union of the seed's content neighbours and the trending list.
 *
 * @param s - normalised signals (content is the cosine to the seed).
 * @param w - the weights (only relevance and trending are used).
 */
export function similarContributions(s: SignalValues, w: BlendWeights): Contributions {
  return { collaborative: 0, content: w.relevance * s.content, trending: w.trending * s.trending, popularity: 0 };
}

/** The final score: the sum of the contributions. */
export function totalScore(c: Contributions): number {
  return c.collaborative + c.content + c.trending + c.popularity;
}
