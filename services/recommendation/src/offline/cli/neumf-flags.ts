/**
 * The NeuMF command-line flags, once: the hyper-parameters of `NeuMFOptions` and the TensorFlow.js
 * backend, shared by `npm run train` (offline/cli/train.ts) and the training benchmark
 * (bench/ncf-training.ts), each of which adds its own flags. Parsed with `node:util` parseArgs;
 * an absent flag leaves the option to `DEFAULT_NEUMF_OPTIONS`
 * (services/recommendation/src/models/ncf/neumf-options.ts), whose validation
 * (`resolveNeuMFOptions`) still applies to the values given.
 */
import type { ParseArgsConfig } from "node:util";
import type { NeuMFOptions } from "../../models/ncf/neumf-options.js";
import { NCF_BACKEND_PREFERENCES, type NcfBackendPreference } from "../training/tf-backend.js";

/**
 * The parseArgs options of the NeuMF flags, every one a string (numbers are parsed by
 * {@link neumfOptionsFromFlags}); spread them into a command's own `parseArgs` options.
 * No defaults here, so an absent flag is `undefined`.
 */
export const NEUMF_FLAG_OPTIONS = {
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  "learning-rate": { type: "string" },
  "learning-rate-decay": { type: "string" },
  "gmf-dim": { type: "string" },
  "mlp-dim": { type: "string" },
  "mlp-layers": { type: "string" },
  negatives: { type: "string" },
  l2: { type: "string" },
  "recency-boost": { type: "string" },
  "recency-half-life": { type: "string" },
  "average-from": { type: "string" },
  seed: { type: "string" },
  "embedding-optimizer": { type: "string" },
  backend: { type: "string" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** The usage text of the NeuMF flags, for a command's `--help` (wrapped to fit beside its own flags). */
export const NEUMF_FLAGS_USAGE = `[--epochs N] [--batch-size N] [--learning-rate X] [--learning-rate-decay X] [--gmf-dim N] [--mlp-dim N]
  [--mlp-layers 32,16,8] [--negatives N] [--l2 X] [--recency-boost X] [--recency-half-life N] [--average-from N] [--seed N]
  [--embedding-optimizer lazy-adam|adam] [--backend auto|tensorflow|wasm|cpu]`;

/** The values parseArgs returns for {@link NEUMF_FLAG_OPTIONS}: flag name → its text, absent when not given. */
export type NeuMFFlagValues = { readonly [K in keyof typeof NEUMF_FLAG_OPTIONS]?: string };

/**
 * Parses the number of a flag.
 *
 * @param name - the flag, without `--` (for the message).
 * @param raw - its text; undefined when the flag was not given.
 * @returns the number, or undefined when `raw` is undefined.
 * @throws Error `--<name> must be a number, got "<raw>"` when `raw` is blank or not a finite number.
 */
export function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got "${raw}"`);
  return value;
}

/**
 * The NeuMF option overrides given on the command line (`--mlp-dim` is `mlpEmbeddingDim`,
 * `--average-from` is `averageFromEpoch`, `--mlp-layers` a comma-separated list of widths).
 * Fields of absent flags are undefined, which `resolveNeuMFOptions` reads as "use the default".
 *
 * @param values - parseArgs values of {@link NEUMF_FLAG_OPTIONS} (other keys are ignored).
 * @returns the overrides; ranges are checked later by `resolveNeuMFOptions`.
 * @throws Error from {@link numberFlag} for a flag that is not a number.
 */
export function neumfOptionsFromFlags(values: NeuMFFlagValues): Partial<NeuMFOptions> {
  return {
    epochs: numberFlag("epochs", values.epochs),
    batchSize: numberFlag("batch-size", values["batch-size"]),
    learningRate: numberFlag("learning-rate", values["learning-rate"]),
    learningRateDecay: numberFlag("learning-rate-decay", values["learning-rate-decay"]),
    gmfDim: numberFlag("gmf-dim", values["gmf-dim"]),
    mlpEmbeddingDim: numberFlag("mlp-dim", values["mlp-dim"]),
    mlpLayers: values["mlp-layers"]?.split(",").map((w) => numberFlag("mlp-layers", w)!),
    negatives: numberFlag("negatives", values.negatives),
    l2: numberFlag("l2", values.l2),
    recencyBoost: numberFlag("recency-boost", values["recency-boost"]),
    recencyHalfLife: numberFlag("recency-half-life", values["recency-half-life"]),
    averageFromEpoch: numberFlag("average-from", values["average-from"]),
    seed: numberFlag("seed", values.seed),
    embeddingOptimizer: values["embedding-optimizer"] as NeuMFOptions["embeddingOptimizer"] | undefined,
  };
}

/**
 * The TensorFlow.js backend to train with: the `--backend` flag, else `fallback`.
 *
 * @param flag - the `--backend` text, undefined when not given.
 * @param fallback - the command's default (e.g. `NCF_BACKEND` or "auto").
 * @returns one of {@link NCF_BACKEND_PREFERENCES}.
 * @throws Error `backend must be one of auto, tensorflow, wasm, cpu, got "<value>"` for any other value.
 */
export function backendFromFlag(flag: string | undefined, fallback: string): NcfBackendPreference {
  const backend = flag ?? fallback;
  if (!NCF_BACKEND_PREFERENCES.includes(backend as NcfBackendPreference)) {
    throw new Error(`backend must be one of ${NCF_BACKEND_PREFERENCES.join(", ")}, got "${backend}"`);
  }
  return backend as NcfBackendPreference;
}
