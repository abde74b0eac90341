/**
 * Blend variants under the `npm run eval` protocol (leave-one-out, 99 sampled negatives, ties
 * against the held-out item): w × CF + (1 − w) × content for several weights w and normalisations
 * (max = the serving contract, min–max, rank), CF being NeuMF or another model of the evaluation.
 * The parts are trained once; coverage is skipped.
 *
 * Usage: npx tsx bench/eval-blend-sweep.ts [--cf neumf|itemknn] [--weights 0.5,0.6,…]
 *          [--norms max,minmax,rank] [--seed N] [--epochs N] [--users N]
 * Data: MOVIELENS_DIR, else ../shared/data/ml-latest-small beside the checkout.
 */
import { parseArgs } from "node:util";
import { blendModel, type Normalization } from "../services/recommendation/src/offline/evaluation/baselines/blend.js";
import { allModels } from "../services/recommendation/src/offline/evaluation/model-registry.js";
import { alignTable } from "../services/recommendation/src/offline/evaluation/report.js";
import { runEvaluation } from "../services/recommendation/src/offline/evaluation/run-evaluation.js";
import { defaultMovieLensDir } from "../services/shared/src/movielens.js";

const { values } = parseArgs({
  options: {
    cf: { type: "string", default: "neumf" },
    weights: { type: "string", default: "0.5,0.6,0.7,0.8,0.9,0.95" },
    norms: { type: "string", default: "max,minmax,rank" },
    seed: { type: "string", default: "1" },
    epochs: { type: "string" },
    users: { type: "string" },
  },
});
const dir = defaultMovieLensDir();
if (!dir) throw new Error("set MOVIELENS_DIR");
const cf = values.cf;
const weights = values.weights.split(",").map(Number);
const norms = values.norms.split(",") as Normalization[];
const blends = norms.flatMap((normalization) =>
  weights.map((w) =>
    blendModel({
      name: `sweep-${normalization}-${w}`,
      label: `${w} ${cf} + ${Number((1 - w).toFixed(3))} content, ${normalization}`,
      parts: [
        { model: cf, weight: w },
        { model: "content", weight: 1 - w },
      ],
      normalization,
    }),
  ),
);
const specs = [...allModels(), ...blends];
const report = await runEvaluation(
  dir,
  {
    seed: Number(values.seed),
    epochs: values.epochs === undefined ? undefined : Number(values.epochs),
    users: values.users === undefined ? undefined : Number(values.users),
    models: [cf, "content", ...blends.map((b) => b.name)],
    coverage: false,
    log: (line) => process.stderr.write(`${line}\n`),
  },
  specs,
);
const rows = report.results.map((r) => [r.label, r.hitRatio.toFixed(3), r.ndcg.toFixed(3)]);
console.log(`seed ${report.protocol.seed}, ${report.protocol.evaluatedUsers} users`);
console.log(alignTable(["model", "HR@10", "NDCG@10"], rows, [false, true, true]));
