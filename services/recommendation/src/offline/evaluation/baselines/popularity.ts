import { computePopularity } from "../../../models/popularity.js";
import type { ModelSpec, TrainedModel } from "../evaluated-model.js";
import { timed } from "../evaluated-model.js";
import type { EvaluationData } from "../protocol.js";

/**
 * Counts each item's training interactions (distinct users, since pairs are de-duplicated).
 *
 * @returns item index → count.
 */
export function interactionCounts(data: EvaluationData): Float64Array {
  const counts = new Float64Array(data.itemIds.length);
  for (const items of data.trainItems) for (const i of items) counts[i]!++;
  return counts;
}

/** A scorer that gives each item a fixed score, whoever the user. */
export function staticScorer(scores: Float64Array): TrainedModel["scorer"] {
  return { score: (_user, items) => Float64Array.from(items, (i) => scores[i]!) };
}

/**
 * Popularity by interaction count: the item-popularity baseline of the NCF paper's protocol
 * (He et al., WWW 2017, §4.1, "ItemPop"). Not personalised.
 */
export const popularityModel: ModelSpec = {
  name: "popularity",
  label: "popularity (count)",
  async train({ data }) {
    const { value, ms } = timed(() => interactionCounts(data));
    return { scorer: staticScorer(value), trainingMs: ms, notes: "number of training interactions" };
  },
};

/**
 * The service's cold-start popularity (`computePopularity`: Bayesian-average rating × log count
 * factor, see model/popularity.ts) over the training ratings. Not personalised.
 */
export const bayesianPopularityModel: ModelSpec = {
  name: "popularity-bayes",
  label: "popularity (Bayesian)",
  async train({ data }) {
    const { value, ms } = timed(() => {
      const scores = new Float64Array(data.itemIds.length);
      for (const p of computePopularity(data.train.map((e) => ({ productId: e.productId, value: e.rating })))) {
        const i = data.itemIndex.get(p.productId);
        if (i !== undefined) scores[i] = p.score;
      }
      return scores;
    });
    return { scorer: staticScorer(value), trainingMs: ms, notes: "computePopularity of model/popularity.ts on training ratings" };
  },
};
