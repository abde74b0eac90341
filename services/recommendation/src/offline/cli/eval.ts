/**
 * `npm run eval`: offline evaluation of the recommendation models on MovieLens. By default the
 * leave-one-out split of He et al., "Neural Collaborative Filtering", WWW 2017
 * (https://arxiv.org/abs/1708.05031) — each user's latest interaction held out — ranked in full:
 * against every item the user did not train on (Krichene and Rendle, KDD 2020); HR@10, NDCG@10,
 * Recall@20 and coverage@10, each mean ± its standard error over users (ties count against the
 * held-out item). `--ranking sampled` ranks among 99 sampled negatives as in the NCF paper;
 * `--split validation` reports the validation split (each user's second-latest interaction) on
 * which defaults are chosen; `--protocol time` cuts globally by timestamp. Prints one aligned
 * table; no server is needed.
 *
 * Usage: npm run eval -- [--models a,b,c] [--seed N] [--epochs N] [--users N] [--out FILE]
 *                        [--ranking full|sampled] [--split test|validation] [--protocol loo|time]
 *                        [--cut-quantile Q] [--trace-epochs] [--skip-coverage] [--markdown]
 *        npm run eval -- --readme [--seed N] [--out FILE]   (the README's table, see below)
 *
 * `--readme` runs the validation split, the test split and the time-based protocol (full ranking,
 * every default model), writes them to docs/evaluation/ml-latest-small.json (or `--out`) and
 * rewrites the README's evaluation table from that file.
 * Data: MOVIELENS_DIR, else ../shared/data/ml-latest-small beside the checkout.
 * Exit status: 0 on success, 2 on a bad argument, 1 on any other failure.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { allModels } from "../evaluation/model-registry.js";
import { formatProtocol, formatResultsTable } from "../evaluation/report.js";
import { runEvaluation } from "../evaluation/run-evaluation.js";
import { formatReadmeTable, replaceReadmeTable, type ReadmeEvaluation } from "../evaluation/readme-table.js";
import { defaultMovieLensDir } from "../../../../shared/src/movielens.js";

const USAGE = `usage: npm run eval -- [options]
  --models a,b,c     models to run, in order; default: ${allModels().filter((m) => !m.onlyOnRequest).map((m) => m.name).join(", ")}
                     also: ${allModels().filter((m) => m.onlyOnRequest).map((m) => m.name).join(", ")}
  --seed N           seed of the negative sampling, user sample and model initialisation (default 1)
  --epochs N         training epochs of iterative models (default: the model's own)
  --users N          evaluate a seeded sample of N users (models still train on all users)
  --out FILE         also write the results as JSON
  --ranking MODE     full (default: against every item the user did not train on) or sampled
                     (the held-out item among 99 sampled negatives, as in the NCF paper)
  --split SPLIT      test (default) or validation (each user's second-latest interaction held
                     out, the test interactions removed: where defaults are chosen)
  --protocol P       loo (default: each user's latest interaction held out) or time (a global
                     cut by timestamp; every later item of a user with training data is held out)
  --cut-quantile Q   the time protocol's cut, a quantile of the timestamps in (0, 1) (default 0.8)
  --trace-epochs     log NeuMF's test HR@10/NDCG@10 after every epoch (monitoring only, slower)
  --skip-coverage    skip the full-catalog ranking behind coverage@10 (faster)
  --markdown         print the table as Markdown
  --readme           run validation, test and time-based, write docs/evaluation/ml-latest-small.json
                     (or --out) and rewrite README.md's evaluation table from it
  MOVIELENS_DIR      data directory (default ../shared/data/ml-latest-small beside the checkout)`;

class UsageError extends Error {}

/** The checkout's root (services/recommendation/src/offline/cli → five levels up). */
const REPO_ROOT = path.resolve(import.meta.dirname, "../../../../..");

function positiveInt(name: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${value}"`);
  }
  return n;
}

function oneOf<const T extends readonly string[]>(name: string, value: string | undefined, allowed: T): T[number] {
  if (value === undefined || !allowed.includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  return value as T[number];
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        models: { type: "string" },
        seed: { type: "string", default: "1" },
        epochs: { type: "string" },
        users: { type: "string" },
        out: { type: "string" },
        ranking: { type: "string", default: "full" },
        split: { type: "string", default: "test" },
        protocol: { type: "string", default: "loo" },
        "cut-quantile": { type: "string" },
        "skip-coverage": { type: "boolean", default: false },
        "trace-epochs": { type: "boolean", default: false },
        markdown: { type: "boolean", default: false },
        readme: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const known = new Set(allModels().map((m) => m.name));
  const models = args.models?.split(",").map((m) => m.trim()).filter((m) => m !== "");
  for (const m of models ?? []) if (!known.has(m)) throw new UsageError(`unknown model "${m}"; known: ${[...known].join(", ")}`);
  const seed = positiveInt("seed", args.seed, true)!;
  const epochs = positiveInt("epochs", args.epochs);
  const users = positiveInt("users", args.users);
  const ranking = oneOf("ranking", args.ranking, ["full", "sampled"] as const);
  const split = oneOf("split", args.split, ["test", "validation"] as const);
  const protocol = oneOf("protocol", args.protocol, ["loo", "time"] as const) === "loo" ? "leave-one-out" : "time";
  let cutQuantile: number | undefined;
  if (args["cut-quantile"] !== undefined) {
    cutQuantile = Number(args["cut-quantile"]);
    if (!(cutQuantile > 0 && cutQuantile < 1)) throw new UsageError(`--cut-quantile must be a number in (0, 1), got "${args["cut-quantile"]}"`);
    if (protocol !== "time") throw new UsageError("--cut-quantile applies to --protocol time only");
  }
  const dir = defaultMovieLensDir();
  const missing = dir ? ["ratings.csv", "movies.csv", "tags.csv"].filter((f) => !existsSync(path.join(dir, f))) : [];
  if (!dir || missing.length > 0) {
    throw new Error(
      `no MovieLens data${dir ? ` in ${dir} (missing ${missing.join(", ")})` : ""}: set MOVIELENS_DIR to a directory holding ratings.csv, movies.csv and tags.csv`,
    );
  }

  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[eval +${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  if (args.readme) {
    if (models || users !== undefined || ranking !== "full" || args.split !== "test" || args.protocol !== "loo" || cutQuantile !== undefined) {
      throw new UsageError("--readme runs every default model on all users, full ranking, all three splits: leave out --models, --users, --ranking, --split, --protocol and --cut-quantile");
    }
    const common = { seed, epochs, coverage: true, log };
    log("validation split…");
    const validation = await runEvaluation(dir, { ...common, split: "validation" });
    log("test split…");
    const test = await runEvaluation(dir, { ...common, split: "test" });
    log("time-based protocol…");
    const time = await runEvaluation(dir, { ...common, protocol: "time" });
    const evaluation: ReadmeEvaluation = {
      command: `npm run eval -- --readme --seed ${seed}${epochs !== undefined ? ` --epochs ${epochs}` : ""}`,
      machine: { cpu: cpus()[0]?.model.trim() ?? "unknown", cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      seed,
      validation,
      test,
      time,
    };
    const out = args.out ?? path.join(REPO_ROOT, "docs", "evaluation", "ml-latest-small.json");
    await writeFile(out, `${JSON.stringify(evaluation, null, 2)}\n`);
    const readme = path.join(REPO_ROOT, "README.md");
    const table = formatReadmeTable(evaluation);
    await writeFile(readme, replaceReadmeTable(await readFile(readme, "utf8"), table));
    console.log(table);
    console.log(`wrote ${out} and the table in ${readme}`);
    return;
  }
  const report = await runEvaluation(dir, {
    seed,
    models,
    users,
    epochs,
    ranking,
    split,
    protocol,
    ...(cutQuantile !== undefined ? { cutQuantile } : {}),
    coverage: !args["skip-coverage"],
    traceEpochs: args["trace-epochs"],
    log,
  });
  console.log(formatProtocol(report));
  console.log();
  console.log(formatResultsTable(report, args.markdown));
  console.log();
  for (const r of report.results) if (r.notes) console.log(`${r.label}: ${r.notes}`);
  console.log(`total ${((report.totalMs) / 1000).toFixed(1)} s on ${report.environment.cpus} CPUs, Node ${report.environment.node}`);
  if (args.out) {
    await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${args.out}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
