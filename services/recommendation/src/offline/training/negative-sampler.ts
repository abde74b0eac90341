import { type Prng, randomBelow, shuffleInPlace } from "../../models/prng.js";

/** One epoch's training samples, shuffled: parallel arrays of user row, item row and label. */
export interface EpochSamples {
  /** User row per sample. */
  readonly users: Int32Array;
  /** Item row per sample. */
  readonly items: Int32Array;
  /** 1 for a positive, 0 for a sampled negative. */
  readonly labels: Float32Array;
  /** Loss weight per sample (the positive's weight, 1 for negatives), when positive weights were given. */
  readonly weights?: Float32Array;
}

/**
 * Samples negatives for implicit feedback (He et al. 2017, section 3.1.1): items drawn uniformly
 * among those the user never interacted with, by rejection against the user's sorted positives
 * (binary search); users holding more than half the catalog draw from their explicit complement
 * instead, so sampling stays fast for any user.
 */
export class NegativeSampler {
  private readonly complements = new Map<number, Int32Array>();

  /**
   * @param userItems - each user's positive item rows, sorted ascending, no duplicates.
   * @param itemCount - item rows are 0 … itemCount − 1.
   */
  constructor(
    private readonly userItems: readonly Int32Array[],
    private readonly itemCount: number,
  ) {}

  /** Whether item row `i` is a positive of user row `u`. */
  isPositive(u: number, i: number): boolean {
    const items = this.userItems[u];
    if (!items) return false;
    let lo = 0;
    let hi = items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = items[mid]!;
      if (v === i) return true;
      if (v < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /**
   * One negative item row for user row `u`.
   *
   * @returns an item row that is not a positive of `u`, or −1 when the user has every item.
   */
  sample(u: number, random: Prng): number {
    const positives = this.userItems[u]?.length ?? 0;
    if (positives >= this.itemCount) return -1;
    if (positives * 2 > this.itemCount) {
      const complement = this.complementOf(u);
      return complement[randomBelow(random, complement.length)]!;
    }
    for (;;) {
      const i = randomBelow(random, this.itemCount);
      if (!this.isPositive(u, i)) return i;
    }
  }

  /**
   * The samples of one epoch: every positive once and `negatives` fresh negatives per positive
   * (fewer for a user who has every item), shuffled with the same generator.
   *
   * @param positiveUsers - user row of each positive.
   * @param positiveItems - item row of each positive.
   * @param negatives - negatives per positive, ≥ 0.
   * @param random - the epoch's seeded generator (same state, same samples and order).
   * @param positiveWeights - a loss weight per positive (negatives get 1); none when omitted.
   */
  epochSamples(positiveUsers: Int32Array, positiveItems: Int32Array, negatives: number, random: Prng, positiveWeights?: Float32Array): EpochSamples {
    const capacity = positiveUsers.length * (1 + negatives);
    const users = new Int32Array(capacity);
    const items = new Int32Array(capacity);
    const labels = new Float32Array(capacity);
    const weights = new Float32Array(positiveWeights ? capacity : 0);
    let n = 0;
    for (let p = 0; p < positiveUsers.length; p++) {
      const u = positiveUsers[p]!;
      users[n] = u;
      items[n] = positiveItems[p]!;
      if (positiveWeights) weights[n] = positiveWeights[p]!;
      labels[n++] = 1;
      for (let k = 0; k < negatives; k++) {
        const i = this.sample(u, random);
        if (i < 0) break;
        users[n] = u;
        items[n] = i;
        if (positiveWeights) weights[n] = 1;
        labels[n++] = 0;
      }
    }
    const order = new Int32Array(n);
    for (let s = 0; s < n; s++) order[s] = s;
    shuffleInPlace(order, random);
    const out = { users: new Int32Array(n), items: new Int32Array(n), labels: new Float32Array(n), weights: positiveWeights ? new Float32Array(n) : undefined };
    for (let s = 0; s < n; s++) {
      const from = order[s]!;
      out.users[s] = users[from]!;
      out.items[s] = items[from]!;
      out.labels[s] = labels[from]!;
      if (out.weights) out.weights[s] = weights[from]!;
    }
    return out;
  }

  private complementOf(u: number): Int32Array {
    let complement = this.complements.get(u);
    if (!complement) {
      const rest: number[] = [];
      for (let i = 0; i < this.itemCount; i++) if (!this.isPositive(u, i)) rest.push(i);
      complement = Int32Array.from(rest);
      this.complements.set(u, complement);
    }
    return complement;
  }
}
