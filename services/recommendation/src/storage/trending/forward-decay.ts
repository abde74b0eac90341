/**
 * Forward exponential decay (Cormode, Shkapenyuk, Srivastava, Xu, "Forward Decay: A Practical Time
 * Decay Model for Streaming Systems", ICDE 2009, https://dimacs.rutgers.edu/~graham/pubs/papers/fwddecay.pdf).
 *
 * With a landmark time t0 and g(x) = exp(x/τ), an item at time t is stored with weight
 * g(t − t0) = exp((t − t0)/τ), and read at time `now` as g(t − t0) / g(now − t0) = exp(−(now − t)/τ):
 * classic exponential decay with mean lifetime τ (half-life τ·ln 2), but the stored values never
 * change as time passes: only reads apply the common factor exp(−(now − t0)/τ). Stored values grow
 * with t − t0, so the landmark is moved forward now and then (re-basing: every stored value is
 * multiplied by exp(−Δ/τ) when t0 moves by Δ), which keeps them bounded by exp(bound).
 */

/**
 * The factor that turns stored values into decayed values at `nowMs`: exp(−(now − t0)/τ).
 *
 * @param nowMs - the reading time, in ms.
 * @param t0Ms - the landmark, in ms.
 * @param tauMs - the decay time constant τ, in ms.
 */
export function decayFactor(nowMs: number, t0Ms: number, tauMs: number): number {
  return Math.exp(-(nowMs - t0Ms) / tauMs);
}
