import type { BlendWeights } from "./api.js";

/** A weight's slider and its partner: the service wants relevance + trending = 1 and collaborative + content = 1. */
const PAIRS: Readonly<Record<keyof BlendWeights, keyof BlendWeights>> = {
  relevance: "trending",
  trending: "relevance",
  collaborative: "content",
  content: "collaborative",
};

/**
 * Moves one weight and its partner so each pair keeps summing to 1 (rounded to 0.05).
 *
 * @param weights - the current weights.
 * @param key - the weight moved.
 * @param value - its new value in [0, 1].
 */
export function moveWeight(weights: BlendWeights, key: keyof BlendWeights, value: number): BlendWeights {
  const v = Math.round(Math.min(1, Math.max(0, value)) * 20) / 20;
  return { ...weights, [key]: v, [PAIRS[key]]: Math.round((1 - v) * 100) / 100 };
}
