/**
 * The collaborative signal of a user's candidates when two collaborative models score them:
 * NeuMF (the product's collaborative model) and the session-aware item-KNN (`itemKnnScores`).
 * Each column is first normalised over the candidates by dividing by its maximum (DESIGN.md,
 * "Scoring contract"), then `neumfShare × NeuMF + (1 − neumfShare) × item-KNN`; a column without
 * any positive score (no NeuMF model for the user, no item-KNN neighbours) leaves the whole signal
 * to the other. Non-finite and negative raw scores count as 0.
 *
 * @param neumf - raw NeuMF scores per candidate, or undefined when NeuMF does not score the user.
 * @param itemKnn - raw item-KNN scores per candidate (same order), or undefined.
 * @param neumfShare - NeuMF's share in [0, 1].
 * @returns the blended column in [0, 1], or undefined when neither model scores any candidate.
 */
export function blendCollaborative(neumf: Float64Array | undefined, itemKnn: Float64Array | undefined, neumfShare: number): Float64Array | undefined {
  const a = normalizedColumn(neumf);
  const b = normalizedColumn(itemKnn);
  if (!a) return b;
  if (!b) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = neumfShare * a[i]! + (1 - neumfShare) * b[i]!;
  return out;
}

/** Divides by the maximum (non-positive and non-finite values are 0); undefined when nothing is positive. */
function normalizedColumn(raw: Float64Array | undefined): Float64Array | undefined {
  if (!raw) return undefined;
  let max = 0;
  for (const v of raw) if (Number.isFinite(v) && v > max) max = v;
  if (max === 0) return undefined;
  return Float64Array.from(raw, (v) => (Number.isFinite(v) && v > 0 ? v / max : 0));
}
