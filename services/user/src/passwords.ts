import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { hash as argon2Hash, parseOptions as argon2ParseOptions, verify as argon2Verify, type Algorithm } from "@node-rs/argon2";

/**
 * Argon2id cost parameters (RFC 9106, https://www.rfc-editor.org/rfc/rfc9106): the `m`, `t` and `p`
 * of the PHC string.
 */
export interface Argon2Params {
  /** Memory cost m, in KiB. */
  readonly memoryKiB: number;
  /** Time cost t: passes over the memory. */
  readonly passes: number;
  /** Parallelism p: lanes. */
  readonly parallelism: number;
}

/**
 * The cost of every new hash: Argon2id with m = 19 MiB (19,456 KiB), t = 2, p = 1, the OWASP
 * Password Storage Cheat Sheet's current first choice
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id).
 * Hashes with other parameters (or legacy scrypt ones) are replaced at the next successful sign-in
 * (see {@link needsRehash}).
 */
export const DEFAULT_ARGON2_PARAMS: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

/** scrypt cost parameters (RFC 7914, https://www.rfc-editor.org/rfc/rfc7914), of legacy hashes. */
export interface ScryptParams {
  /** CPU/memory cost N, a power of two. */
  readonly N: number;
  /** Block size r. */
  readonly r: number;
  /** Parallelisation p. */
  readonly p: number;
}

/**
 * The cost the service used to hash with (N = 2^15, r = 8, p = 1: 32 MiB, below OWASP's current
 * scrypt minimum of N = 2^17). Hashes of that form (`scrypt$N$r$p$salt$hash`) still verify and are
 * rehashed with Argon2id at the next successful sign-in; nothing new is hashed with scrypt.
 */
export const LEGACY_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

/** Argon2id identifier in @node-rs/argon2's `Algorithm` (a const enum, so not importable as a value). */
const ARGON2ID = 2 as Algorithm;
/** Salt length, in bytes (RFC 9106 §3.1 recommends 16). */
const SALT_BYTES = 16;
/** Derived key length, in bytes. */
const KEY_BYTES = 32;
/** Bounds accepted when reading a stored hash, so a corrupt row cannot make verification explode. */
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;
const MAX_ARGON2_PASSES = 16;

/**
 * Hashes a password with Argon2id (@node-rs/argon2, Rust's `argon2` crate, run off the main thread
 * on the libuv pool) and a random 16-byte salt. The password is NFC-normalised first (as RFC 8265's
 * OpaqueString profile does), so the same password typed on different keyboards matches.
 *
 * @param password - the password (any string; callers bound its length).
 * @param params - cost parameters (default {@link DEFAULT_ARGON2_PARAMS}).
 * @returns the PHC string `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<32-byte hash>`
 *   (unpadded standard base64).
 */
export async function hashPassword(password: string, params: Argon2Params = DEFAULT_ARGON2_PARAMS): Promise<string> {
  return argon2Hash(password.normalize("NFC"), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.passes,
    parallelism: params.parallelism,
    outputLen: KEY_BYTES,
    salt: randomBytes(SALT_BYTES),
  });
}

/**
 * Checks a password against a stored hash: an Argon2id PHC string made by {@link hashPassword}, or
 * a legacy `scrypt$N$r$p$salt$hash` string, re-deriving with the stored parameters and comparing in
 * constant time. Stored parameters beyond sane bounds (scrypt N > 2^20, Argon2 m > 1 GiB, …) are
 * refused unread, so a corrupt row cannot exhaust memory.
 *
 * @param password - the candidate password.
 * @param encoded - the stored hash string.
 * @returns true when the password matches; false when it does not or the string is malformed.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (encoded.startsWith("$argon2")) return verifyArgon2(password, encoded);
  if (encoded.startsWith("scrypt$")) return verifyScrypt(password, encoded);
  return false;
}

/**
 * Tells whether a stored hash should be replaced after a successful verification: any legacy scrypt
 * hash, and any Argon2 hash that is not Argon2id with exactly the given parameters.
 *
 * @param encoded - the stored hash string.
 * @param params - the current policy (default {@link DEFAULT_ARGON2_PARAMS}).
 */
export function needsRehash(encoded: string, params: Argon2Params = DEFAULT_ARGON2_PARAMS): boolean {
  const parsed = parseArgon2(encoded);
  if (!parsed) return true;
  return (
    parsed.algorithm !== ARGON2ID ||
    parsed.memoryCost !== params.memoryKiB ||
    parsed.timeCost !== params.passes ||
    parsed.parallelism !== params.parallelism
  );
}

/**
 * Hashes a password the legacy way (scrypt, `scrypt$N$r$p$salt$hash`): only for tests and tools that
 * need a hash as the service stored it before Argon2id.
 *
 * @param password - the password.
 * @param params - scrypt cost (default {@link LEGACY_SCRYPT_PARAMS}).
 * @returns `scrypt$N$r$p$<salt base64url>$<32-byte hash base64url>`.
 */
export async function hashPasswordLegacyScrypt(password: string, params: ScryptParams = LEGACY_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveScrypt(password, salt, KEY_BYTES, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * Spends the same work as a real verification against a throwaway hash of the given cost, so that
 * signing in as an unknown user (or one without a password) takes as long as a wrong password and
 * response timing does not reveal which usernames exist.
 *
 * @param password - the candidate password.
 * @param params - the cost of real hashes (default {@link DEFAULT_ARGON2_PARAMS}).
 * @returns always false.
 */
export async function verifyDummyPassword(password: string, params: Argon2Params = DEFAULT_ARGON2_PARAMS): Promise<false> {
  const key = `${params.memoryKiB}/${params.passes}/${params.parallelism}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) {
    dummy = hashPassword(randomBytes(16).toString("hex"), params);
    dummyHashes.set(key, dummy);
  }
  await verifyPassword(password, await dummy);
  return false;
}

interface ParsedArgon2 {
  readonly algorithm: number;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

function parseArgon2(encoded: string): ParsedArgon2 | undefined {
  if (!encoded.startsWith("$argon2")) return undefined;
  try {
    return argon2ParseOptions(encoded);
  } catch {
    return undefined;
  }
}

async function verifyArgon2(password: string, encoded: string): Promise<boolean> {
  const parsed = parseArgon2(encoded);
  if (!parsed || parsed.memoryCost > MAX_ARGON2_MEMORY_KIB || parsed.timeCost > MAX_ARGON2_PASSES || parsed.parallelism > MAX_P) {
    return false;
  }
  try {
    return await argon2Verify(encoded, password.normalize("NFC"));
  } catch {
    return false;
  }
}

async function verifyScrypt(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const validN = Number.isInteger(N) && N >= 2 && N <= 2 ** MAX_LOG2_N && (N & (N - 1)) === 0;
  if (!validN || !Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await deriveScrypt(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

function deriveScrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
