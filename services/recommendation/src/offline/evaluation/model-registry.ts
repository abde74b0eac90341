import { loadRecommendationConfig, recommenderSettings } from "../../config.js";
import { blendModel } from "./baselines/blend.js";
import { contentModel } from "./baselines/content.js";
import { itemKnn, itemKnnModel } from "./baselines/item-knn.js";
import { neumfModel } from "./baselines/neumf.js";
import { bayesianPopularityModel, popularityModel } from "./baselines/popularity.js";
import type { ModelSpec } from "./evaluated-model.js";
import { servedModel } from "./baselines/served.js";

/**
 * The models `npm run eval` knows, by `--models` name (default: those not marked "on request"):
 * - `popularity`, `popularity-bayes`: interaction count; the service's Bayesian popularity;
 * - `itemknn`: item-KNN, cosine over the binary matrix, every training item of the user alike;
 * - `itemknn-d<d>`: the same with the user's items weighted d^r by recency (r = 0 newest); the
 *   default list runs d = RECOMMEND_ITEM_KNN_DECAY (the served item-KNN's decay), the others
 *   (0.5 … 0.98) on request;
 * - `content`: the service's TF-IDF content score with the service's default profile settings
 *   (RECOMMEND_RECENT_POSITIVES, RECOMMEND_RECENCY_DECAY);
 * - `neumf`: NeuMF of ncf/train.ts (default options, the run's seed, `--epochs`);
 * - `blend`: cf × NeuMF + content × content with the service's default relevance weights,
 *   max-normalised over the candidates (no item-KNN, no trending: the relevance term before the
 *   item-KNN signal);
 * - `served`: the service's own `Recommender` over the run's NeuMF and a model build of the
 *   training data (see `servedModel`), with the configured defaults — the row the defaults are
 *   chosen by;
 * - on request: `blend-w0.7`, `blend-w0.8`, `blend-w0.9` (w × NeuMF + (1 − w) × content),
 *   `blend-rank`, `blend-minmax` (the default blend with rank or min–max normalisation).
 */
export function allModels(): ModelSpec[] {
  const settings = recommenderSettings(loadRecommendationConfig({}));
  const cf = settings.weights.collaborative;
  const content = settings.weights.content;
  const parts = [
    { model: "neumf", weight: cf },
    { model: "content", weight: content },
  ];
  const servedDecay = settings.itemKnnDecay ?? 0.5;
  const decays = [...new Set([servedDecay, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98])];
  return [
    popularityModel,
    bayesianPopularityModel,
    itemKnnModel,
    ...decays.map((d) => (d === servedDecay ? itemKnn(d) : { ...itemKnn(d), onlyOnRequest: true })),
    contentModel({ maxPositives: settings.maxPositives, recencyDecay: settings.recencyDecay }),
    neumfModel,
    blendModel({ name: "blend", label: `blend ${cf} NeuMF + ${content} content`, parts, normalization: "max" }),
    servedModel(settings),
    ...[0.7, 0.8, 0.9].map((w) => ({
      ...blendModel({
        name: `blend-w${w}`,
        label: `blend ${w} NeuMF + ${Number((1 - w).toFixed(2))} content`,
        parts: [
          { model: "neumf", weight: w },
          { model: "content", weight: Number((1 - w).toFixed(2)) },
        ],
        normalization: "max",
      }),
      onlyOnRequest: true,
    })),
    { ...blendModel({ name: "blend-rank", label: `blend ${cf}/${content}, rank norm`, parts, normalization: "rank" }), onlyOnRequest: true },
    { ...blendModel({ name: "blend-minmax", label: `blend ${cf}/${content}, min-max norm`, parts, normalization: "minmax" }), onlyOnRequest: true },
  ];
}
