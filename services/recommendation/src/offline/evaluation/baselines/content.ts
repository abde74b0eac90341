import { ContentModel } from "../../../models/content/content-model.js";
import type { ItemScorer, ModelSpec } from "../evaluated-model.js";
import { timed } from "../evaluated-model.js";
import type { EvaluationData } from "../protocol.js";

/** The user-profile parameters of the content score. */
export interface ContentProfileOptions {
  /** The most recent training items used as positives (the service's RECOMMEND_RECENT_POSITIVES, 20). */
  readonly maxPositives: number;
  /** Weight ratio between consecutive positives (the service's RECOMMEND_RECENCY_DECAY, 0.9). */
  readonly recencyDecay: number;
}

/**
 * The service's content score (recommender.ts, `contentScores`) under implicit feedback: every
 * training interaction is a positive, the user's `maxPositives` most recent ones p_0 (newest),
 * p_1, … are kept, and a candidate c scores the recency-weighted mean TF-IDF cosine
 * `Σ_j d^j·cos(c, p_j) / Σ_j d^j` (d = `recencyDecay`).
 *
 * Cosine is linear in its first vector, so the sum is computed as one dot product with the
 * user's profile vector `Σ_j d^j·v(p_j) / Σ_j d^j` (a dense array over the vocabulary): the same
 * numbers as the pairwise formula, fast enough to score the whole catalog per user.
 */
export class ContentScorer implements ItemScorer {
  private readonly profile: Float64Array;
  private cachedUser = -1;

  /**
   * @param content - the catalog's TF-IDF model.
   * @param data - the evaluation data (item ids and training items).
   * @param options - positives and recency decay.
   */
  constructor(
    private readonly content: ContentModel,
    private readonly data: EvaluationData,
    private readonly options: ContentProfileOptions,
  ) {
    this.profile = new Float64Array(content.vocabularySize);
  }

  score(user: number, items: Int32Array): Float64Array {
    if (this.cachedUser !== user) this.buildProfile(user);
    const out = new Float64Array(items.length);
    for (let k = 0; k < items.length; k++) {
      const v = this.content.vector(this.data.itemIds[items[k]!]!);
      if (!v) continue;
      let dot = 0;
      for (let t = 0; t < v.terms.length; t++) dot += v.weights[t]! * this.profile[v.terms[t]!]!;
      out[k] = dot;
    }
    return out;
  }

  private buildProfile(user: number): void {
    this.profile.fill(0);
    const positives = this.data.trainItems[user]!.subarray(0, this.options.maxPositives);
    let total = 0;
    positives.forEach((item, j) => {
      const weight = this.options.recencyDecay ** j;
      total += weight;
      const v = this.content.vector(this.data.itemIds[item]!);
      if (!v) return;
      for (let t = 0; t < v.terms.length; t++) this.profile[v.terms[t]!]! += weight * v.weights[t]!;
    });
    if (total > 0) for (let t = 0; t < this.profile.length; t++) this.profile[t]! /= total;
    this.cachedUser = user;
  }
}

/**
 * The TF-IDF content baseline (see {@link ContentScorer}); the TF-IDF model is built with
 * `ContentModel.build` over the catalog's titles, genres and tags.
 *
 * @param options - the user-profile parameters (the service's defaults in the evaluation).
 */
export function contentModel(options: ContentProfileOptions): ModelSpec {
  return {
    name: "content",
    label: "TF-IDF content",
    async train({ data, catalog }) {
      const { value, ms } = timed(() => new ContentScorer(ContentModel.build(catalog), data, options));
      return {
        scorer: value,
        trainingMs: ms,
        notes: `recency-weighted mean cosine to the ${options.maxPositives} latest items, decay ${options.recencyDecay}`,
      };
    },
  };
}
