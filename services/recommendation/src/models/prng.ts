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

/**
 * `count` draws of N(0, σ²) from a seeded generator, two per pair of uniforms (the Box–Muller
 * transform: Box and Muller, "A Note on the Generation of Random Normal Deviates", Ann. Math.
 * Statist. 29(2), 1958).
 *
 * @param count - how many values.
 * @param sigma - standard deviation σ ≥ 0.
 * @param random - the generator (advanced by 2·⌈count/2⌉ draws).
 */
export function gaussian(count: number, sigma: number, random: Prng): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = Math.max(random(), 1e-12);
    const u2 = random();
    const r = sigma * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * A stream of standard normal draws N(0, 1) from a seeded generator, one value per call (Box–Muller
 * as in {@link gaussian}, both values of each pair used).
 *
 * @param random - the generator.
 */
export function normalSource(random: Prng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
