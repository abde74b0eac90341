import { loadRecommendationConfig, recommenderSettings } from "../../config.js";
import { blendModel } from "./baselines/blend.js";
import { contentModel } from "./baselines/content.js";
import { itemKnn, itemKnnModel } from "./baselines/item-knn.js";
import { neumfModel } from "./baselines/neumf.js";
import { bayesianPopularityModel, popularityModel } from "./baselines/popularity.js";
import type { ModelSpec } from "./evaluated-model.js";
import { servedModel } from "./baselines/served.js";

/**
 * The models `npm run eval` knows, by `--models` name:
 * - `popularity`, `popularity-bayes`: interaction count; the service's Bayesian popularity;
 * - `itemknn`: item-KNN, cosine over the binary matrix;
 * - `content`: the service's TF-IDF content score with the service's default profile settings
 *   (RECOMMEND_RECENT_POSITIVES, RECOMMEND_RECENCY_DECAY);
 * - `neumf`: NeuMF of ncf/train.ts (default options, the run's seed, `--epochs`);
 * - `blend`: 0.6 × NeuMF + 0.4 × content, max-normalised over the candidates (DESIGN.md's relevance
 *   term with the service's default weights, no trending);
 * - `blend-w0.7`, `blend-w0.8`, `blend-w0.9`: the same with w × NeuMF + (1 − w) × content;
 * - `served`: the service's own `Recommender` over the run's NeuMF and a model build of the
 *   training data (see `servedModel`), with the configured default weights;
 * - `blend-rank`, `blend-minmax` (only on request): 0.6/0.4 with rank or min–max normalisation.
 */
export function allModels(): ModelSpec[] {
  const settings = recommenderSettings(loadRecommendationConfig({}));
  const cf = settings.weights.collaborative;
  const content = settings.weights.content;
  const parts = [
    { model: "neumf", weight: cf },
    { model: "content", weight: content },
  ];
  return [
    popularityModel,
    bayesianPopularityModel,
    itemKnnModel,
    contentModel({ maxPositives: settings.maxPositives, recencyDecay: settings.recencyDecay }),
    neumfModel,
    blendModel({ name: "blend", label: `blend ${cf} NeuMF + ${content} content`, parts, normalization: "max" }),
    ...[0.7, 0.8, 0.9].map((w) =>
      blendModel({
        name: `blend-w${w}`,
        label: `blend ${w} NeuMF + ${Number((1 - w).toFixed(2))} content`,
        parts: [
          { model: "neumf", weight: w },
          { model: "content", weight: Number((1 - w).toFixed(2)) },
        ],
        normalization: "max",
      }),
    ),
    servedModel(settings),
    blendModel({ name: "blend-rank", label: `blend ${cf}/${content}, rank norm`, parts, normalization: "rank" }),
    ...[0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98].map((d) => ({ ...itemKnn(d), onlyOnRequest: true })),
    { ...blendModel({ name: "blend-minmax", label: `blend ${cf}/${content}, min-max norm`, parts, normalization: "minmax" }), onlyOnRequest: true },
  ];
}

