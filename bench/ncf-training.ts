/**
 * NeuMF training benchmark on MovieLens ml-latest-small: trains with the default options (or the
 * overrides below) on every rating as an implicit positive, with the paper's leave-one-out
 * validation (each user's latest rating held out and ranked among 99 sampled items the user never
 * rated, He et al. 2017 section 4.1), and prints per epoch: time, samples/s, loss, HR@10, NDCG@10;
 * then the total.
 *
 * Usage: `npx tsx bench/ncf-training.ts [--epochs N] [--batch-size N] [--learning-rate X] [--learning-rate-decay X]
 *   [--gmf-dim N] [--mlp-dim N] [--mlp-layers 32,16,8] [--negatives N] [--l2 X] [--seed N]
 *   [--recency-boost X] [--recency-half-life N] [--average-from N] [--embedding-optimizer lazy-adam|adam]
 *   [--backend auto|tensorflow|wasm|cpu] [--users N]`
 * (the NeuMF flags of services/recommendation/src/offline/cli/neumf-flags.ts, shared with
 * `npm run train`; `--backend` default auto; `--users`: validation users, default all). Environment: MOVIELENS_DIR (default
 * ../shared/data/ml-latest-small beside the repository). Goal: 20 epochs in ≤ 5 minutes on 2 cores.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_NEUMF_OPTIONS } from "../services/recommendation/src/models/ncf/neumf-options.js";
import { backendFromFlag, NEUMF_FLAG_OPTIONS, neumfOptionsFromFlags, numberFlag } from "../services/recommendation/src/offline/cli/neumf-flags.js";
import { readMovieLensInteractions } from "../services/recommendation/src/offline/evaluation/interactions.js";
import { useTensorFlowBackend } from "../services/recommendation/src/offline/training/tf-backend.js";
import { trainNeuMF } from "../services/recommendation/src/offline/training/train.js";
import { leaveOneOutSplit } from "../services/recommendation/src/offline/training/validation.js";

const { values } = parseArgs({
  options: {
    ...NEUMF_FLAG_OPTIONS,
    users: { type: "string" },
  },
});
const overrides = neumfOptionsFromFlags(values);
const backendPreference = backendFromFlag(values.backend, "auto");

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.env.MOVIELENS_DIR ?? path.resolve(repoRoot, "..", "shared", "data", "ml-latest-small");
const interactions = await readMovieLensInteractions(dir);
const seed = overrides.seed ?? DEFAULT_NEUMF_OPTIONS.seed;
const { train, cases } = leaveOneOutSplit(interactions, { users: numberFlag("users", values.users) ?? Number.POSITIVE_INFINITY, negatives: 99, seed });
const backend = await useTensorFlowBackend(backendPreference);
console.log(`backend: ${backend.description}`);
console.log(`data: ${interactions.length} ratings, ${train.length} for training, ${cases.length} validation users (latest rating vs 99 sampled items)`);

// CPU seconds of this process beside wall time: on a shared machine the wall time of an epoch
// includes waiting for a core, the CPU time does not (training runs on one thread).
let cpuMark = process.cpuUsage();
let cpuTotal = 0;
const result = await trainNeuMF(train, overrides, {
  validation: cases,
  onEpoch: (s) => {
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    cpuTotal += cpuSeconds;
    console.log(
      `epoch ${String(s.epoch).padStart(2)}  ${(s.durationMs / 1000).toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s with validation)  ` +
        `${Math.round(s.samplesPerSecond)} samples/s  loss ${s.loss.toFixed(4)}  HR@10 ${s.validationHr10?.toFixed(4)}  NDCG@10 ${s.validationNdcg10?.toFixed(4)}`,
    );
  },
});
const epochMs = result.epochs.reduce((a, s) => a + s.durationMs, 0);
const last = result.epochs[result.epochs.length - 1]!;
const best = result.epochs.reduce((a, s) => ((s.validationHr10 ?? 0) > (a.validationHr10 ?? 0) ? s : a));
console.log(`options: ${JSON.stringify(result.options)}`);
console.log(
  `total: ${result.epochs.length} epochs in ${(result.trainingMs / 1000).toFixed(1)} s (epochs alone ${(epochMs / 1000).toFixed(1)} s, ` +
    `${(epochMs / result.epochs.length / 1000).toFixed(2)} s/epoch; CPU ${cpuTotal.toFixed(1)} s); data ${result.data.users} users, ${result.data.items} items, ${result.data.interactions} positives`,
);
console.log(
  `final HR@10 ${last.validationHr10?.toFixed(4)} NDCG@10 ${last.validationNdcg10?.toFixed(4)}; best HR@10 ${best.validationHr10?.toFixed(4)} (epoch ${best.epoch})`,
);
