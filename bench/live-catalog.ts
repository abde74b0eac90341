/**
 * Benchmark of the live catalog's in-process cost on MovieLens (ml-latest-small, 9,742 movies, the
 * snapshot's 50 neighbours each): the time one chunk of catalog changes takes to become a new
 * ServingState (`ServingState.withCatalogChanges`: catalog copy, TF-IDF update, neighbour patch),
 * for chunks of 1, 10 and 50 new products copying movies' text with a word of their own, and of 1
 * archive; and the full content rebuild (`withRebuiltContent`) that bounds IDF drift. Each is
 * repeated and reported as min / median in ms. This is time the serving event loop is held per
 * chunk (live-catalog.ts applies 20 products per chunk).
 *
 * Usage: `npm run bench:live-catalog -- [runs]` (default 5). MOVIELENS_DIR as for the other benches.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ContentModel } from "../services/recommendation/src/models/content/content-model.js";
import { readMovieLensCatalog } from "../services/recommendation/src/offline/model-build/movielens-files.js";
import { ServingState } from "../services/recommendation/src/serving/serving-state.js";
import { printMachine } from "./support/machine.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.env.MOVIELENS_DIR ?? path.resolve(repoRoot, "..", "shared", "data", "ml-latest-small");
const runs = Number(process.argv[2] ?? 5);

printMachine();
const products = await readMovieLensCatalog(dir);
const neighbors = ContentModel.build(products).neighbors({ k: 50 });
const state = ServingState.create({ catalog: products, snapshot: { stats: { productCount: products.length, eventCount: 0, durationMs: 0 }, neighbors, popularity: [] } });
console.log(`live catalog on ${products.length} products, ${runs} runs each (min / median ms)`);

const stats = (xs: number[]): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(1)} / ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms`;
};
for (const size of [1, 10, 50]) {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const upserts = Array.from({ length: size }, (_, i) => {
      const seed = products[(run * 97 + i * 31) % products.length]!;
      return { ...seed, productId: `sku-bench-${run}-${i}`, title: `${seed.title} Collector's Edition`, description: `word${run}x${i}` };
    });
    const t = performance.now();
    state.withCatalogChanges(upserts, []);
    times.push(performance.now() - t);
  }
  console.log(`${String(size).padStart(2)} new product(s) per chunk: ${stats(times)}`);
}
const archive: number[] = [];
for (let run = 0; run < runs; run++) {
  const t = performance.now();
  state.withCatalogChanges([], [products[run * 101]!.productId]);
  archive.push(performance.now() - t);
}
console.log(` 1 archive per chunk:         ${stats(archive)}`);
const rebuild: number[] = [];
for (let run = 0; run < runs; run++) {
  const t = performance.now();
  state.withRebuiltContent();
  rebuild.push(performance.now() - t);
}
console.log(`full content rebuild:         ${stats(rebuild)}`);
