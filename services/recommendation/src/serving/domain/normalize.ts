/**
 * Normalises a signal to [0, 1] over a candidate set by dividing by its maximum, so the best
 * candidate scores 1 and a candidate without the signal keeps 0 (unlike min-max scaling, which
 * would send the weakest candidate to 0 even when its raw score is meaningful). Negative and
 * non-finite raw values count as 0. When every value is 0 (or the set is empty) every result is 0.
 *
 * @param candidates - the candidate ids.
 * @param raw - raw scores by id (ids missing from it score 0).
 * @returns id → normalised score in [0, 1], for every candidate.
 */
export function normalizeByMax(candidates: Iterable<string>, raw: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  let max = 0;
  for (const id of candidates) {
    const v = clean(raw.get(id));
    out.set(id, v);
    if (v > max) max = v;
  }
  for (const [id, v] of out) out.set(id, max > 0 ? v / max : 0);
  return out;
}

function clean(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : 0;
}
