import { pino } from "pino";
import type { Engagement } from "../../../../../shared/src/event-kinds.js";
import type { RecommenderSettings } from "../../../serving/recommender.js";
import { Recommender } from "../../../serving/recommender.js";
import { ServingState, ServingStateHolder } from "../../../serving/serving-state.js";
import { NcfCollaborativeModel } from "../../../serving/signals/ncf-collaborative.js";
import type { HistoryEvent, HistorySource } from "../../../serving/domain/history-source.js";
import type { TrendingSource } from "../../../serving/domain/trending-source.js";
import type { NcfArtifactWatcher } from "../../../storage/ncf-artifacts/artifact-watcher.js";
import type { LoadedNcfArtifact } from "../../../storage/ncf-artifacts/artifact.js";
import { buildModels } from "../../model-build/build-models.js";
import type { CatalogProduct } from "../../../models/catalog.js";
import { newestFirst } from "../split.js";
import type { ItemScorer, ModelSpec } from "../evaluated-model.js";

/** How many items the served row asks the recommender for per user (it ranks nothing beyond them). */
export const SERVED_LIST_LENGTH = 100;

/** A trending store without events: offline there are no live clicks. */
const noTrending: TrendingSource = {
  top: async () => [],
  scores: async () => new Map(),
  productStats: async () => {
    throw new Error("no product statistics offline");
  },
};

/**
 * The served path itself, as an evaluated model: the service's `Recommender` (candidate generation,
 * signals, max-normalisation over the candidates, the blend with the configured default weights and
 * the tie-breaking), over a serving state built by the service's own model build (`buildModels`:
 * TF-IDF neighbours and Bayesian popularity) from the catalog and the training interactions, with
 * the run's NeuMF (`neumf`, trained once and shared) as the collaborative model.
 *
 * - Each training rating is the user's "rate" event of that many stars, so positives (≥ the
 *   positive-rating threshold) and seen products follow the service's profile rules.
 * - Trending is empty (no live clicks offline); its 20% weight then adds the same 0 to every item.
 * - A user's score for an item is its place in the user's first {@link SERVED_LIST_LENGTH}
 *   recommendations (higher is better); every item not returned scores NaN, ranked behind all
 *   of them (a sampled-protocol figure for this row is therefore a lower bound).
 *
 * @param settings - the recommender settings the service runs with (`recommenderSettings(config)`).
 * @returns the model named `served`.
 */
export function servedModel(settings: RecommenderSettings): ModelSpec {
  return {
    name: "served",
    label: "served path (Recommender)",
    async train(context) {
      const { data, catalog } = context;
      const neumf = await context.trained("neumf");
      const started = performance.now();
      // The evaluation's catalog is the MovieLens catalog the service imports (CatalogProduct rows).
      const products = catalog as readonly CatalogProduct[];
      const events: Engagement[] = [...data.train]
        .sort((a, b) => -newestFirst(a, b))
        .map((e) => ({ userId: e.userId, productId: e.productId, kind: "rate", value: e.rating }));
      const built = await buildModels(
        { pages: async function* () { yield products; } },
        { pages: async function* () { yield events; } },
      );
      const history = new Map<string, HistoryEvent[]>();
      for (let i = events.length - 1; i >= 0; i--) {
        const e = events[i]!;
        let list = history.get(e.userId);
        if (!list) history.set(e.userId, (list = []));
        list.push({ productId: e.productId, kind: e.kind, value: e.value });
      }
      const historySource: HistorySource = { recentEvents: async (userId, max) => (history.get(userId) ?? []).slice(0, max) };
      const artifact = neumf.neumf ? ({ version: "offline", scorer: neumf.neumf } as unknown as LoadedNcfArtifact) : undefined;
      const watcher = { current: artifact } as unknown as NcfArtifactWatcher;
      const state = ServingState.create({
        catalog: built.catalog,
        snapshot: built.snapshot,
        content: built.content,
        collaborative: artifact ? new NcfCollaborativeModel(watcher, { cachedUsers: 0 }) : undefined,
      });
      const recommender = new Recommender({
        state: new ServingStateHolder(state),
        users: { exists: async () => true },
        history: historySource,
        trending: noTrending,
        settings: { ...settings, personalCacheSize: 0 },
        logger: pino({ level: "silent" }),
      });
      const buildMs = performance.now() - started;
      let cachedUser = -1;
      let place = new Map<number, number>();
      const scorer: ItemScorer = {
        async score(user, items) {
          if (user !== cachedUser) {
            const result = await recommender.recommend({
              userId: data.userIds[user]!,
              limit: SERVED_LIST_LENGTH,
              exclude: new Set(),
              weights: settings.weights,
            });
            place = new Map(result.items.map((item, i) => [data.itemIndex.get(item.productId)!, SERVED_LIST_LENGTH - i] as const));
            cachedUser = user;
          }
          return Float64Array.from(items, (i) => place.get(i) ?? Number.NaN);
        },
      };
      return { scorer, trainingMs: neumf.trainingMs + buildMs, notes: servedNotes(settings) };
    },
  };
}

/**
 * The served row's notes: the list length and every default that shapes its ranking, so a report
 * says which defaults it measured.
 *
 * @param settings - the recommender settings.
 */
export function servedNotes(settings: RecommenderSettings): string {
  const w = settings.weights;
  return (
    `Recommender.recommend, first ${SERVED_LIST_LENGTH} items; relevance ${w.relevance} × (collaborative ${w.collaborative} × ` +
    `(NeuMF ${settings.neumfShare ?? 1} + item-KNN ${Number((1 - (settings.neumfShare ?? 1)).toFixed(6))}, decay ${settings.itemKnnDecay ?? 0.5}) + content ${w.content}) ` +
    `+ trending ${w.trending} (empty offline); NeuMF of the run`
  );
}
