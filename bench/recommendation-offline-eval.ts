/**
 * Offline evaluation of the recommender on MovieLens (temporal split per user): for each user,
 * the earliest 80% of their ratings are the history and the model's training data, the rest are
 * held out; a held-out rating >= 3.5 is a relevant item. Reports hit rate@10 (share of users with
 * at least one relevant item in their top 10) and precision@10 for the personalised blend
 * (content only while no collaborative model exists; no trending offline) against the cold-start
 * popularity ranking given to every user.
 *
 * Usage: `npx tsx bench/recommendation-offline-eval.ts`. Environment: MOVIELENS_DIR (default
 * ../shared/data/ml-latest-small beside the repository).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import type { Engagement } from "../services/shared/src/event-kinds.js";
import type { HistoryEvent } from "../services/recommendation/src/serving/domain/history-source.js";
import { Recommender } from "../services/recommendation/src/serving/recommender.js";
import { buildModels } from "../services/recommendation/src/offline/model-build/build-models.js";
import { arrayCatalogSource, arrayInteractionSource, readMovieLensCatalog } from "../services/recommendation/src/offline/model-build/movielens-files.js";
import { ServingStateHolder, ServingState } from "../services/recommendation/src/serving/serving-state.js";
import { defaultSettings, FakeTrendingSource, MapHistorySource, SetUserDirectory, silentLogger } from "../services/recommendation/src/serving/testing/fakes.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.env.MOVIELENS_DIR ?? path.resolve(repoRoot, "..", "shared", "data", "ml-latest-small");

const rows = parse(await readFile(path.join(dir, "ratings.csv")), { columns: true }) as { userId: string; movieId: string; rating: string; timestamp: string }[];
const byUser = new Map<string, { productId: string; value: number; t: number }[]>();
for (const r of rows) {
  let list = byUser.get(r.userId);
  if (!list) byUser.set(r.userId, (list = []));
  list.push({ productId: r.movieId, value: Number(r.rating), t: Number(r.timestamp) });
}
const train: Engagement[] = [];
const history = new MapHistorySource();
const heldOut = new Map<string, Set<string>>();
for (const [userId, list] of byUser) {
  list.sort((a, b) => a.t - b.t || Number(a.productId) - Number(b.productId));
  const cut = Math.floor(list.length * 0.8);
  const events: HistoryEvent[] = [];
  for (const r of list.slice(0, cut)) {
    train.push({ userId, productId: r.productId, kind: "rate", value: r.value });
    events.unshift({ productId: r.productId, kind: "rate", value: r.value });
  }
  history.events.set(userId, events);
  heldOut.set(userId, new Set(list.slice(cut).filter((r) => r.value >= 3.5).map((r) => r.productId)));
}

const products = await readMovieLensCatalog(dir);
const built = await buildModels(arrayCatalogSource(products), arrayInteractionSource(train));
const state = new ServingStateHolder(ServingState.create({ catalog: built.catalog, content: built.content, snapshot: built.snapshot }));
const recommender = new Recommender({
  state,
  users: new SetUserDirectory(new Set(byUser.keys())),
  history,
  trending: new FakeTrendingSource(),
  settings: defaultSettings(),
  logger: silentLogger(),
});
const cold = new Recommender({
  state,
  users: new SetUserDirectory(new Set(byUser.keys())),
  history: { recentEvents: async () => [] },
  trending: new FakeTrendingSource(),
  settings: defaultSettings(),
  logger: silentLogger(),
});

const score = async (r: Recommender, excludeHistory: boolean) => {
  let users = 0;
  let hits = 0;
  let relevant = 0;
  const started = performance.now();
  for (const [userId, relevantSet] of heldOut) {
    if (relevantSet.size === 0) continue;
    users++;
    // The cold-start ranker knows nothing of the user, so pass the history as exclusions.
    const exclude = excludeHistory ? new Set((history.events.get(userId) ?? []).map((e) => e.productId)) : new Set<string>();
    const { items } = await r.recommend({ userId, limit: 10, exclude, weights: defaultSettings().weights });
    const found = items.filter((i) => relevantSet.has(i.productId)).length;
    if (found > 0) hits++;
    relevant += found;
  }
  return { users, hitRate: hits / users, precision: relevant / (users * 10), msPerUser: (performance.now() - started) / users };
};
const personal = await score(recommender, false);
const popular = await score(cold, true);
const fmt = (x: { users: number; hitRate: number; precision: number; msPerUser: number }) =>
  `HR@10 ${(x.hitRate * 100).toFixed(1)}%, P@10 ${(x.precision * 100).toFixed(2)}%, ${x.msPerUser.toFixed(1)} ms/user`;
console.log(`${personal.users} users with held-out positives`);
console.log(`  personalised (content)   ${fmt(personal)}`);
console.log(`  popularity (cold start)  ${fmt(popular)}`);
