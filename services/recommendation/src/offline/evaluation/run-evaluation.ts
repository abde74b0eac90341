import { cpus } from "node:os";
import type { ProductText } from "../../models/content/product-text.js";
import { readMovieLensCatalog } from "../model-build/movielens-files.js";
import { evaluateModel } from "./evaluate.js";
import { readMovieLensInteractions, type RatedInteraction } from "./interactions.js";
import type { ModelContext, ModelSpec, TrainedModel } from "./evaluated-model.js";
import { allModels } from "./model-registry.js";
import { prepareEvaluation, type EvaluationData, type EvaluationSplit, type SplitProtocol } from "./protocol.js";
import type { RankingMode } from "./evaluate.js";
import type { EvaluationReport, ModelResult } from "./report.js";

/** Options of {@link runEvaluation} and {@link evaluateModels}. */
export interface EvaluationOptions {
  /** Seed of the negative sampling, the user sample and model initialisation (default 1). */
  readonly seed?: number;
  /** `--models` names to run, in order (default: every model not marked `onlyOnRequest`). */
  readonly models?: readonly string[];
  /** Evaluate a seeded sample of this many users (default all). Models still train on everyone. */
  readonly users?: number | undefined;
  /** Epochs for iterative models (their default when undefined). */
  readonly epochs?: number | undefined;
  /** Negatives per user for the sampled ranking (default 99; none are drawn under full ranking). */
  readonly negatives?: number;
  /** Cut-off k of HR and NDCG (default 10). */
  readonly k?: number;
  /** Cut-off of Recall (default 20). */
  readonly recallK?: number;
  /** Full ranking (default) or the NCF paper's sampled ranking. */
  readonly ranking?: RankingMode;
  /** The split protocol (default "leave-one-out"). */
  readonly protocol?: SplitProtocol;
  /** The split evaluated (default "test"). */
  readonly split?: EvaluationSplit;
  /** The time-based protocol's cut quantile (default 0.8). */
  readonly cutQuantile?: number;
  /** Measure catalog coverage (default true). */
  readonly coverage?: boolean;
  /** Log per-epoch test quality of iterative models (monitoring only; default false). */
  readonly traceEpochs?: boolean | undefined;
  /** Receives progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/**
 * Trains and evaluates models on prepared data, each trained once (a blend reuses its parts).
 *
 * @param data - the prepared evaluation ({@link prepareEvaluation}).
 * @param catalog - the catalog's text.
 * @param options - models, epochs, k, coverage, log.
 * @param specs - the known models (default {@link allModels}).
 * @returns one result per requested model, in the requested order.
 * @throws Error naming the unknown model when a requested name is not in `specs`.
 */
export async function evaluateModels(
  data: EvaluationData,
  catalog: readonly ProductText[],
  options: EvaluationOptions = {},
  specs: readonly ModelSpec[] = allModels(),
): Promise<ModelResult[]> {
  const byName = new Map(specs.map((s) => [s.name, s] as const));
  const names = options.models ?? specs.filter((s) => !s.onlyOnRequest).map((s) => s.name);
  for (const name of names) {
    if (!byName.has(name)) throw new Error(`unknown model "${name}"; known: ${specs.map((s) => s.name).join(", ")}`);
  }
  const log = options.log ?? (() => {});
  const cache = new Map<string, Promise<TrainedModel>>();
  const context: ModelContext = {
    data,
    catalog,
    seed: data.seed,
    epochs: options.epochs,
    traceEpochs: options.traceEpochs,
    log,
    trained(name) {
      let pending = cache.get(name);
      if (!pending) {
        const spec = byName.get(name);
        if (!spec) return Promise.reject(new Error(`unknown model "${name}"`));
        log(`training ${spec.label}…`);
        pending = spec.train(context);
        cache.set(name, pending);
      }
      return pending;
    },
  };
  const results: ModelResult[] = [];
  for (const name of names) {
    const spec = byName.get(name)!;
    const trained = await context.trained(name);
    log(`evaluating ${spec.label}…`);
    const metrics = await evaluateModel(trained, data, {
      k: options.k ?? 10,
      recallK: options.recallK ?? 20,
      ranking: options.ranking ?? "full",
      coverage: options.coverage ?? true,
    });
    const result = { model: name, label: spec.label, trainingMs: trained.trainingMs, epochs: trained.epochs, notes: trained.notes, ...metrics };
    log(`${spec.label}: HR ${result.hitRatio.toFixed(3)}, NDCG ${result.ndcg.toFixed(3)}`);
    results.push(result);
  }
  return results;
}

/**
 * Runs the offline evaluation on a MovieLens directory: reads ratings (with timestamps), movies and
 * tags, prepares the leave-one-out protocol ({@link prepareEvaluation}) and evaluates the models
 * ({@link evaluateModels}). No server is needed.
 *
 * @param dir - the MovieLens directory (ratings.csv, movies.csv, tags.csv).
 * @param options - seed, models, users, epochs, …
 * @param specs - the known models (default {@link allModels}).
 * @throws Error when a file is missing or malformed, or a model name is unknown.
 */
export async function runEvaluation(dir: string, options: EvaluationOptions = {}, specs?: readonly ModelSpec[]): Promise<EvaluationReport> {
  const startedAt = new Date();
  const started = performance.now();
  const [catalog, interactions] = await Promise.all([readMovieLensCatalog(dir), readMovieLensInteractions(dir)]);
  return evaluateDataset(dir, catalog, interactions, options, specs, startedAt, started);
}

/**
 * {@link runEvaluation} over data already in memory (used by the tests on synthetic data sets).
 *
 * @param label - names the data set in the report (a directory for MovieLens).
 * @param catalog - the catalog's text.
 * @param interactions - every interaction.
 * @param options - seed, models, users, epochs, …
 * @param specs - the known models.
 */
export async function evaluateDataset(
  label: string,
  catalog: readonly ProductText[],
  interactions: readonly RatedInteraction[],
  options: EvaluationOptions = {},
  specs: readonly ModelSpec[] = allModels(),
  startedAt = new Date(),
  started = performance.now(),
): Promise<EvaluationReport> {
  const seed = options.seed ?? 1;
  const ranking = options.ranking ?? "full";
  const negatives = ranking === "sampled" ? (options.negatives ?? 99) : 0;
  const k = options.k ?? 10;
  const recallK = options.recallK ?? 20;
  const protocol = options.protocol ?? "leave-one-out";
  const split = options.split ?? "test";
  const data = prepareEvaluation(
    catalog.map((p) => p.productId),
    interactions,
    {
      seed,
      negatives,
      protocol,
      split,
      ...(options.cutQuantile !== undefined ? { cutQuantile: options.cutQuantile } : {}),
      ...(options.users !== undefined ? { users: options.users } : {}),
    },
  );
  options.log?.(`${data.cases.length} users evaluated, ${data.train.length} training interactions, ${data.itemIds.length} items`);
  const results = await evaluateModels(data, catalog, { ...options, k, recallK, ranking }, specs);
  return {
    dataset: { dir: label, users: data.userIds.length, items: data.itemIds.length, interactions: interactions.length, trainInteractions: data.train.length },
    protocol: {
      name: protocol === "leave-one-out" ? "leave-one-out (He et al., WWW 2017)" : `time-based, global cut at the ${options.cutQuantile ?? 0.8} quantile of timestamps`,
      split,
      ranking,
      seed,
      negatives,
      k,
      recallK,
      evaluatedUsers: data.cases.length,
      heldOutItems: data.cases.reduce((n, c) => n + c.relevant.length, 0),
      ...(data.cutMs !== undefined ? { cut: new Date(data.cutMs).toISOString() } : {}),
      ties: "ties count against the held-out item",
    },
    results,
    totalMs: performance.now() - started,
    environment: { node: process.version, cpus: cpus().length, startedAt: startedAt.toISOString() },
  };
}
