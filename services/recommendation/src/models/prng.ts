/** A seeded pseudo-random generator: each call returns the next number in [0, 1). */
export type Prng = () => number;

/**
 * Mulberry32 (Tommy Ettinger, public domain; https://gist.github.com/tommyettinger/46a874533244883189143505d203312c):
 * a 32-bit-state generator, fast and good enough for shuffles and negative sampling (not for
 * cryptography). Same seed, same sequence.
 *
 * @param seed - any integer (taken modulo 2³²).
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) from a generator. */
export function randomBelow(random: Prng, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Derives an independent 31-bit seed from a base seed and a purpose label (FNV-1a over the label,
 * mixed with the seed), so that e.g. the initialiser of each layer and each epoch's shuffle get
 * their own stream.
 */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h & 0x7fffffff;
}

/** Shuffles an array in place (Fisher–Yates) with a seeded generator. */
export function shuffleInPlace(values: { length: number; [i: number]: number }, random: Prng): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomBelow(random, i + 1);
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
}
