/**
 * NeuMF direct-scorer benchmark: time to score one user against the whole catalog (every item
 * the model knows, ~9.7k for MovieLens ml-latest-small) and to take the top 10, in TypeScript
 * over Float32Arrays (no TensorFlow.js per request). Goal: a few ms per user.
 *
 * Uses the newest valid artifact under `<MODEL_DIR>/ncf` when there is one (MODEL_DIR, default
 * <repo>/.run/dev/models; `npm run train` writes it); otherwise a model of the default shape with
 * random weights over 610 users × 9,724 items (scoring cost does not depend on the weights).
 *
 * Usage: `npx tsx bench/ncf-scoring.ts [--users N]` (N users scored, default 610, cycling).
 * Prints CPU time per user (what the scoring costs on a shared machine) beside wall-time
 * percentiles (which include waiting for a core when other processes run).
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { loadNewestValidArtifact, ncfArtifactRoot } from "../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { DEFAULT_NEUMF_OPTIONS } from "../services/recommendation/src/models/ncf/neumf-options.js";
import { NeuMFScorer } from "../services/recommendation/src/models/ncf/neumf-scorer.js";
import { neumfTensorSpecs, weightsFromList } from "../services/recommendation/src/models/ncf/neumf-weights.js";
import { mulberry32 } from "../services/recommendation/src/models/prng.js";
import { DEFAULT_MODEL_DIR } from "../services/recommendation/src/storage/ncf-artifacts/model-dir.js";

const { values } = parseArgs({ options: { users: { type: "string", default: "610" } } });
const rounds = Number(values.users);

const loadStart = performance.now();
const { artifact } = await loadNewestValidArtifact(ncfArtifactRoot(process.env.MODEL_DIR || DEFAULT_MODEL_DIR));
let scorer: NeuMFScorer;
if (artifact) {
  scorer = artifact.scorer;
  console.log(`artifact ${artifact.version} (${artifact.dir}) loaded and validated in ${(performance.now() - loadStart).toFixed(0)} ms`);
} else {
  const random = mulberry32(1);
  const [users, items] = [610, 9_724];
  const list = neumfTensorSpecs(DEFAULT_NEUMF_OPTIONS, users, items).map((s) =>
    Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * 0.3),
  );
  const built = performance.now();
  scorer = new NeuMFScorer(
    Array.from({ length: users }, (_, u) => String(u + 1)),
    Array.from({ length: items }, (_, i) => String(i + 1)),
    weightsFromList(list, DEFAULT_NEUMF_OPTIONS.mlpLayers.length),
    DEFAULT_NEUMF_OPTIONS,
  );
  console.log(`no artifact: random weights, default shape; scorer built (item precompute) in ${(performance.now() - built).toFixed(0)} ms`);
}
console.log(`model: ${scorer.userCount} users, ${scorer.itemCount} items, shape ${JSON.stringify(scorer.shape)}`);

const userIds = scorer.userIds;
const allItems = scorer.itemIds;
const time = (label: string, run: (user: string) => void): void => {
  for (let i = 0; i < 20; i++) run(userIds[i % userIds.length]!); // warm-up (JIT)
  const samples: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    run(userIds[i % userIds.length]!);
    samples.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000 / rounds;
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(2);
  console.log(`${label.padEnd(38)} CPU ${cpuMs.toFixed(2)} ms/user; wall mean ${mean.toFixed(2)} ms  p50 ${p(0.5)}  p95 ${p(0.95)}  max ${p(1)}  (${rounds} users)`);
};
time("score(user, all item ids)", (u) => scorer.score(u, allItems));
time("scoreRows(user row) over all items", (u) => scorer.scoreRows(scorer.userRow(u)!));
time("topK(user, 10) over all items", (u) => scorer.topK(u, 10));
const candidates = allItems.slice(0, 500);
time("score(user, 500 candidates)", (u) => scorer.score(u, candidates));
