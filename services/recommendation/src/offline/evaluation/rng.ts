// The generator is the one training uses (Mulberry32, see ../ncf/prng.ts).
export { mulberry32, randomBelow as randomInt, type Prng as Random } from "../training/prng.js";

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
