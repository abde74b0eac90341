/**
 * A seeded pseudo-random number generator: returns floats uniform in [0, 1), 2^32 states.
 * Not cryptographic; for reproducible sampling in the offline evaluation.
 */
export type Random = () => number;

/**
 * Mulberry32 (Tommy Ettinger, public domain; https://gist.github.com/tommyettinger/46a874533244883189143505d203312c):
 * a 32-bit state generator, fast and good enough for sampling negatives.
 *
 * @param seed - any integer (taken modulo 2^32).
 * @returns a generator of floats in [0, 1); the same seed gives the same sequence.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Derives a 32-bit seed from a run seed and a key (for example a user id) with FNV-1a
 * (http://www.isthe.com/chongo/tech/comp/fnv/), so each user gets its own stream: a user's
 * sampled items do not depend on which other users are evaluated.
 *
 * @param seed - the run seed (an integer).
 * @param key - the stream's key.
 * @returns an unsigned 32-bit integer.
 */
export function deriveSeed(seed: number, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed >>> 0}:${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A uniform integer in [0, n).
 *
 * @param random - the generator.
 * @param n - the bound, a positive integer.
 */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}
