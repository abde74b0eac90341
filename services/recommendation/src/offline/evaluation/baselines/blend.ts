import type { ItemScorer, ModelSpec } from "../evaluated-model.js";

/**
 * How a part's scores are mapped to [0, 1] over the candidate set before blending:
 * - "max": divide by the maximum, negatives and non-finite values count as 0 (the serving
 *   contract, domain/normalize.ts `normalizeByMax`);
 * - "minmax": `(s − min) / (max − min)` (0 when all are equal);
 * - "rank": the share of the other candidates scoring strictly lower, `#{s_j < s_i} / (n − 1)`,
 *   so ties share a value and the scale of the raw scores no longer matters.
 */
export type Normalization = "max" | "minmax" | "rank";

/**
 * Normalises scores over a candidate set (see {@link Normalization}).
 *
 * @param scores - raw scores over the candidates.
 * @param how - the normalisation.
 * @returns new scores in [0, 1], same order.
 */
export function normalizeScores(scores: Float64Array, how: Normalization): Float64Array {
  const n = scores.length;
  const clean = Float64Array.from(scores, (s) => (Number.isFinite(s) ? s : how === "max" ? 0 : Number.NEGATIVE_INFINITY));
  if (how === "max") {
    let max = 0;
    for (let i = 0; i < n; i++) if (clean[i]! > 0) max = Math.max(max, clean[i]!);
    return Float64Array.from(clean, (s) => (max > 0 && s > 0 ? s / max : 0));
  }
  if (how === "minmax") {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of clean) {
      if (s === Number.NEGATIVE_INFINITY) continue;
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    const span = max - min;
    return Float64Array.from(clean, (s) => (span > 0 && s !== Number.NEGATIVE_INFINITY ? (s - min) / span : 0));
  }
  const order = Array.from(clean.keys()).sort((a, b) => clean[a]! - clean[b]! || 0);
  const out = new Float64Array(n);
  let lower = 0;
  for (let p = 0; p < n; p++) {
    if (p > 0 && clean[order[p]!]! > clean[order[p - 1]!]!) lower = p;
    out[order[p]!] = n > 1 ? lower / (n - 1) : 0;
  }
  return out;
}

/** One part of a blend: another model of the run and its weight. */
export interface BlendPart {
  /** The part's model name, for example "neumf". */
  readonly model: string;
  /** Its weight (the weights of a blend usually sum to 1). */
  readonly weight: number;
}

/** A blend's definition. */
export interface BlendDefinition {
  /** Its `--models` name. */
  readonly name: string;
  /** Its table label. */
  readonly label: string;
  /** The parts and weights. */
  readonly parts: readonly BlendPart[];
  /** How each part is normalised over the candidates. */
  readonly normalization: Normalization;
}

/**
 * A weighted sum of other models' scores, each normalised to [0, 1] over the scored candidates
 * (the 100 test candidates, or the whole catalog minus the user's training items for coverage):
 * with parts NeuMF 0.6 and content 0.4 and "max" normalisation it is the relevance term of
 * DESIGN.md's scoring contract (no trending offline). Its training time is the sum of its parts'.
 *
 * @param definition - name, label, parts and normalisation.
 */
export function blendModel(definition: BlendDefinition): ModelSpec {
  return {
    name: definition.name,
    label: definition.label,
    async train(context) {
      const parts = await Promise.all(definition.parts.map(async (p) => ({ ...p, trained: await context.trained(p.model) })));
      const scorer: ItemScorer = {
        async score(user, items) {
          const out = new Float64Array(items.length);
          for (const part of parts) {
            const normalized = normalizeScores(await part.trained.scorer.score(user, items), definition.normalization);
            for (let k = 0; k < out.length; k++) out[k]! += part.weight * normalized[k]!;
          }
          return out;
        },
      };
      return {
        scorer,
        trainingMs: parts.reduce((sum, p) => sum + p.trained.trainingMs, 0),
        notes: `${parts.map((p) => `${p.weight} × ${p.model}`).join(" + ")}, ${definition.normalization}-normalised over the candidates`,
      };
    },
  };
}
