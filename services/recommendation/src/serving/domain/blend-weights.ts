import { InvalidArgumentError } from "../../../../shared/src/domain-errors.js";

/**
 * The weights of the blend (DESIGN.md, "Scoring contract"):
 * `score = relevance × (collaborative × cf + content × content) + trending × trending`.
 * Each is in [0, 1]; relevance + trending = 1 and collaborative + content = 1.
 */
export interface BlendWeights {
  /** Weight of personal relevance (default 0.8). */
  readonly relevance: number;
  /** Weight of the trending signal (default 0.2). */
  readonly trending: number;
  /** Share of relevance given to the collaborative signal (default 0.6). */
  readonly collaborative: number;
  /** Share of relevance given to the content signal (default 0.4). */
  readonly content: number;
}

/** A per-request override: any subset of the weights (proto3 `optional` fields). */
export interface BlendWeightsOverride {
  /** Weight of personal relevance, in [0, 1]. */
  readonly relevance?: number | undefined;
  /** Weight of trending, in [0, 1]. */
  readonly trending?: number | undefined;
  /** Collaborative share of relevance, in [0, 1]. */
  readonly collaborative?: number | undefined;
  /** Content share of relevance, in [0, 1]. */
  readonly content?: number | undefined;
}

/** Tolerance of the "sums to 1" checks. */
export const WEIGHT_SUM_TOLERANCE = 1e-6;

/**
 * Checks a complete set of weights.
 *
 * @returns undefined when valid, else `[weight name, problem]` for the first problem found.
 */
export function weightsProblem(w: BlendWeights): [keyof BlendWeights, string] | undefined {
  for (const name of ["relevance", "trending", "collaborative", "content"] as const) {
    const v = w[name];
    if (!Number.isFinite(v) || v < 0 || v > 1) return [name, `must be between 0 and 1, got ${v}`];
  }
  if (Math.abs(w.relevance + w.trending - 1) > WEIGHT_SUM_TOLERANCE) {
    return ["relevance", `relevance (${w.relevance}) and trending (${w.trending}) must sum to 1`];
  }
  if (Math.abs(w.collaborative + w.content - 1) > WEIGHT_SUM_TOLERANCE) {
    return ["collaborative", `collaborative (${w.collaborative}) and content (${w.content}) must sum to 1`];
  }
  return undefined;
}

/**
 * Resolves a request's weights: the configured defaults, overridden pair by pair. Within a pair
 * (relevance/trending, collaborative/content), a weight given alone makes the other its
 * complement (`{relevance: 0.5}` means trending 0.5); when both are given they must sum to 1.
 *
 * @param defaults - the configured weights (already valid).
 * @param override - the request's `weights`, or undefined.
 * @returns the weights to use.
 * @throws InvalidArgumentError naming the field (`weights.relevance`, `weights.content`…)
 *   when a weight is outside [0, 1] or not finite, or a pair does not sum to 1 (±1e-6).
 */
export function resolveWeights(defaults: BlendWeights, override: BlendWeightsOverride | undefined): BlendWeights {
  if (!override) return defaults;
  for (const name of ["relevance", "trending", "collaborative", "content"] as const) {
    const v = override[name];
    if (v !== undefined && (!Number.isFinite(v) || v < 0 || v > 1)) {
      throw new InvalidArgumentError(`weights.${name}`, `must be between 0 and 1, got ${v}`);
    }
  }
  const [relevance, trending] = resolvePair(override.relevance, override.trending, defaults.relevance, defaults.trending);
  const [collaborative, content] = resolvePair(override.collaborative, override.content, defaults.collaborative, defaults.content);
  const resolved = { relevance, trending, collaborative, content };
  const problem = weightsProblem(resolved);
  if (problem) throw new InvalidArgumentError(`weights.${problem[0]}`, problem[1]);
  return resolved;
}

function resolvePair(a: number | undefined, b: number | undefined, defaultA: number, defaultB: number): [number, number] {
  if (a === undefined && b === undefined) return [defaultA, defaultB];
  if (a === undefined) return [1 - b!, b!];
  if (b === undefined) return [a, 1 - a];
  return [a, b];
}

/**
 * The weights actually applied: while no collaborative model is loaded, the collaborative share
 * goes to content ("content takes its weight"), so relevance is all content.
 *
 * @param w - the requested weights.
 * @param hasCollaborative - whether a collaborative model is loaded.
 */
export function effectiveWeights(w: BlendWeights, hasCollaborative: boolean): BlendWeights {
  return hasCollaborative ? w : { ...w, collaborative: 0, content: 1 };
}
