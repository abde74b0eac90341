import { type Prng, randomBelow } from "../../models/prng.js";

/**
 * Samples items a user never interacted with, uniformly without replacement, by rejection (fast
 * while the user's items are a small share of the catalog).
 *
 * @param random - the seeded generator (same state → same sample).
 * @param itemCount - the size of the item universe; items are the indices 0 … itemCount − 1.
 * @param interacted - the user's items (training and held-out), never sampled.
 * @param count - how many to draw (99 in the NCF protocol).
 * @returns `count` distinct item indices, in draw order.
 * @throws RangeError when fewer than `count` items are left to sample.
 */
export function sampleNegatives(random: Prng, itemCount: number, interacted: ReadonlySet<number>, count: number): Int32Array {
  let available = itemCount;
  for (const i of interacted) if (i >= 0 && i < itemCount) available--;
  if (available < count) {
    throw new RangeError(`cannot sample ${count} negatives: only ${available} of ${itemCount} items are left`);
  }
  const out = new Int32Array(count);
  const taken = new Set<number>();
  let n = 0;
  while (n < count) {
    const item = randomBelow(random, itemCount);
    if (interacted.has(item) || taken.has(item)) continue;
    taken.add(item);
    out[n++] = item;
  }
  return out;
}
