/**
 * Benchmark of the recommendation model build on MovieLens: TF-IDF vectorisation of the catalog,
 * the top-k content neighbours of every product (inverted index), and popularity, each repeated
 * and reported as min / median in milliseconds. Goal: a few seconds on 2 cores for the 9,742
 * movies of ml-latest-small (measured ~0.2 s vectorise + ~0.7 s neighbours).
 *
 * Usage: `npx tsx bench/recommendation-content-model.ts [runs]` (default 5 runs). Environment:
 * MOVIELENS_DIR (default ../shared/data/ml-latest-small beside the repository), MODEL_NEIGHBORS
 * (default 50), MODEL_MAX_DOCUMENT_FREQUENCY (default 0 = no cap).
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ContentModel } from "../services/recommendation/src/models/content/content-model.js";
import { computePopularity, OpinionAccumulator } from "../services/recommendation/src/models/popularity.js";
import { readMovieLensCatalog, readMovieLensRatings } from "../services/recommendation/src/offline/model-build/movielens-files.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.env.MOVIELENS_DIR ?? path.resolve(repoRoot, "..", "shared", "data", "ml-latest-small");
const runs = Number(process.argv[2] ?? 5);
const k = Number(process.env.MODEL_NEIGHBORS ?? 50);
const maxDf = Number(process.env.MODEL_MAX_DOCUMENT_FREQUENCY ?? 0) || undefined;

const products = await readMovieLensCatalog(dir);
const ratings = await readMovieLensRatings(dir);
const times: Record<"vectorize" | "neighbors" | "popularity", number[]> = { vectorize: [], neighbors: [], popularity: [] };
let rows = 0;
for (let run = 0; run < runs; run++) {
  let t = performance.now();
  const content = ContentModel.build(products);
  times.vectorize.push(performance.now() - t);
  t = performance.now();
  const neighbors = content.neighbors({ k, maxDocumentFrequency: maxDf });
  times.neighbors.push(performance.now() - t);
  rows = [...neighbors.values()].reduce((n, l) => n + l.length, 0);
  t = performance.now();
  const acc = new OpinionAccumulator();
  acc.add(ratings);
  computePopularity(acc.values());
  times.popularity.push(performance.now() - t);
}
const stat = (xs: number[]): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `min ${sorted[0]!.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`;
};
console.log(`${products.length} products, ${ratings.length} ratings, k = ${k}, df cap ${maxDf ?? "none"}, ${runs} runs`);
console.log(`  TF-IDF vectorise   ${stat(times.vectorize)}`);
console.log(`  top-k neighbours   ${stat(times.neighbors)} (${rows} neighbour rows)`);
console.log(`  popularity         ${stat(times.popularity)}`);
