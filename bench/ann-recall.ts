/**
 * Candidate-index benchmark: how much of NeuMF's exact ranking the HNSW candidate index
 * (`GmfCandidateIndex`, what the recommendation service uses for catalogs of at least
 * NCF_ANN_MIN_ITEMS items) keeps, and what a user's ranking costs with and without it.
 *
 * For each sampled user and each pool size P:
 * - ANN recall@P: the share of the exact top-P by GMF inner product `(h_G ⊙ p_u) · q_i` (every
 *   item scored) that the index's P results hold — the index's own recall against exact top-k;
 * - NeuMF recall@k (k = 10 and 200, the default collaborative candidates per request): the share of
 *   NeuMF's exact top-k over the whole catalog that the top-k of the pool re-scored with NeuMF
 *   holds — what serving loses by scoring the pool instead of every item;
 * - time per user: the index search plus re-scoring the pool, against scoring every item.
 *
 * Model: the newest valid NeuMF artifact under `--model-dir` (its `ncf/` folder, as the service
 * reads it; e.g. the one `npm run bench:serving -- --items N` serves), else a NeuMF trained here on
 * MovieLens ml-latest-small (MOVIELENS_DIR, default ../shared/data/ml-latest-small) with the
 * default options or the NeuMF flags of `npm run train`, and saved as an artifact under
 * `.run/bench-ann-recall/models` (pass that as `--model-dir` to measure it again without training).
 *
 * Usage: `npm run bench:ann-recall -- [--model-dir DIR] [--users N] [--pools 500,1000,2000,5000]
 *   [--m 16] [--ef 256] [NeuMF flags, e.g. --epochs 10]`
 * (`--users`: users sampled, default 500; `--m`, `--ef`: HNSW links per node and search breadth,
 * NCF_ANN_M and NCF_ANN_EF of the service).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { GmfCandidateIndex } from "../services/recommendation/src/models/ncf/gmf-candidate-index.js";
import { topRows, type NeuMFScorer } from "../services/recommendation/src/models/ncf/neumf-scorer.js";
import { mulberry32 } from "../services/recommendation/src/models/prng.js";
import { NEUMF_FLAG_OPTIONS, neumfOptionsFromFlags } from "../services/recommendation/src/offline/cli/neumf-flags.js";
import { readMovieLensInteractions } from "../services/recommendation/src/offline/evaluation/interactions.js";
import { useTensorFlowBackend } from "../services/recommendation/src/offline/training/tf-backend.js";
import { trainNeuMF } from "../services/recommendation/src/offline/training/train.js";
import { loadNewestValidArtifact, ncfArtifactRoot, writeNcfArtifact } from "../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { REPO_ROOT } from "../scripts/infra/paths.js";
import { percentiles, printMachine } from "./support/machine.js";

const { values: args } = parseArgs({
  options: {
    ...NEUMF_FLAG_OPTIONS,
    "model-dir": { type: "string" },
    users: { type: "string", default: "500" },
    pools: { type: "string", default: "500,1000,2000,5000" },
    m: { type: "string", default: "16" },
    ef: { type: "string", default: "256" },
  },
});
const positiveInt = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name}: must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
};
const sampleSize = positiveInt("users", args.users);
const pools = args.pools.split(",").map((p) => positiveInt("pools", p.trim()));
const connectivity = positiveInt("m", args.m);
const expansionSearch = positiveInt("ef", args.ef);

printMachine();
let scorer: NeuMFScorer;
if (args["model-dir"]) {
  const started = performance.now();
  const { artifact, rejected } = await loadNewestValidArtifact(ncfArtifactRoot(args["model-dir"]));
  if (!artifact) throw new Error(`--model-dir: no valid NeuMF artifact under ${ncfArtifactRoot(args["model-dir"])}${rejected.length ? ` (${rejected[0]!.message})` : ""}`);
  scorer = artifact.scorer;
  console.log(`model: artifact ${artifact.version}, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} else {
  const dir = process.env.MOVIELENS_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "data", "ml-latest-small");
  const interactions = await readMovieLensInteractions(dir);
  const backend = await useTensorFlowBackend("auto");
  const started = performance.now();
  const trained = await trainNeuMF(interactions, neumfOptionsFromFlags(args));
  scorer = trained.scorer;
  const saved = await writeNcfArtifact(ncfArtifactRoot(path.join(REPO_ROOT, ".run", "bench-ann-recall", "models")), trained);
  console.log(`saved as ${saved.dir} (reuse: --model-dir ${path.relative(REPO_ROOT, path.dirname(path.dirname(saved.dir)))})`);
  console.log(
    `model: NeuMF trained here on ${interactions.length} MovieLens ratings (${backend.description}), ` +
      `${trained.options.epochs} epochs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
console.log(`       ${scorer.userCount} users, ${scorer.itemCount} items, GMF ${scorer.shape.gmfDim} dims, MLP ${JSON.stringify(scorer.shape.mlpLayers)}`);

const index = await GmfCandidateIndex.build(scorer, { connectivity, expansionSearch });
const rss = process.memoryUsage().rss / 2 ** 20;
console.log(`HNSW index (M ${connectivity}, ef ${expansionSearch}) built in ${(index.buildMs / 1000).toFixed(1)} s; process RSS ${rss.toFixed(0)} MiB`);

// A seeded sample of users (all of them when the model has fewer).
const random = mulberry32(42);
const order = Array.from({ length: scorer.userCount }, (_, u) => u);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const users = order.slice(0, Math.min(sampleSize, order.length));

const { gmfUser, gmfItem, outputKernel } = scorer.weights;
const dim = scorer.shape.gmfDim;
const innerProducts = (user: number): Float64Array => {
  const q = new Float64Array(dim);
  for (let k = 0; k < dim; k++) q[k] = gmfUser[user * dim + k]! * outputKernel[k]!;
  const out = new Float64Array(scorer.itemCount);
  for (let i = 0; i < out.length; i++) {
    let dot = 0;
    const o = i * dim;
    for (let k = 0; k < dim; k++) dot += q[k]! * gmfItem[o + k]!;
    out[i] = dot;
  }
  return out;
};
const overlap = (a: ArrayLike<number>, b: ReadonlySet<number>): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (b.has(a[i]!)) n++;
  return n;
};

const usable = pools.filter((p) => p <= scorer.itemCount);
const sums = usable.map(() => ({ ann: 0, at10: 0, at200: 0, ms: [] as number[] }));
const exactMs: number[] = [];
for (const user of users) {
  const t0 = performance.now();
  const full = scorer.scoreRows(user);
  const exact10 = new Set(topRows(full, 10));
  const exact200 = new Set(topRows(full, 200));
  exactMs.push(performance.now() - t0);
  const ip = innerProducts(user);
  usable.forEach((pool, p) => {
    const exactPool = new Set(topRows(ip, pool));
    const t1 = performance.now();
    const rows = index.search(user, pool);
    const scores = scorer.scoreRows(user, rows);
    const ranked = topRows(scores, 200).map((i) => rows[i]!);
    sums[p]!.ms.push(performance.now() - t1);
    sums[p]!.ann += overlap(rows, exactPool) / pool;
    sums[p]!.at10 += overlap(ranked.slice(0, 10), exact10) / 10;
    sums[p]!.at200 += overlap(ranked, exact200) / 200;
  });
}

const [e50, e99] = percentiles(exactMs, [50, 99]);
console.log(`\n${users.length} users; scoring every item: p50 ${e50!.toFixed(2)} ms, p99 ${e99!.toFixed(2)} ms per user`);
console.log("pool    ANN recall@pool   NeuMF recall@10   NeuMF recall@200   index+re-score p50 / p99 ms per user");
usable.forEach((pool, p) => {
  const s = sums[p]!;
  const [m50, m99] = percentiles(s.ms, [50, 99]);
  console.log(
    `${String(pool).padStart(6)}  ${(s.ann / users.length).toFixed(4).padStart(15)}   ${(s.at10 / users.length).toFixed(4).padStart(15)}   ` +
      `${(s.at200 / users.length).toFixed(4).padStart(16)}   ${m50!.toFixed(2)} / ${m99!.toFixed(2)}`,
  );
});
