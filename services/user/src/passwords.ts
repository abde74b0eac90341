import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** scrypt cost parameters (RFC 7914, https://www.rfc-editor.org/rfc/rfc7914). */
export interface ScryptParams {
  /** CPU/memory cost N, a power of two. */
  readonly N: number;
  /** Block size r. */
  readonly r: number;
  /** Parallelisation p. */
  readonly p: number;
}

/**
 * Default cost: N = 2^15, r = 8, p = 1, which takes 128·N·r = 32 MiB of memory and tens of
 * milliseconds per hash, the OWASP Password Storage Cheat Sheet's scrypt baseline
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt).
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

/** Salt length, in bytes. */
const SALT_BYTES = 16;
/** Derived key length, in bytes. */
const KEY_BYTES = 32;
/** Bounds accepted when reading a stored hash, so a corrupt row cannot make verification explode. */
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

/**
 * Hashes a password with scrypt and a random 16-byte salt, off the main thread (libuv pool). The
 * password is NFC-normalised first (as RFC 8265's OpaqueString profile does), so the same password
 * typed on different keyboards matches.
 *
 * @param password - the password (any string; callers bound its length).
 * @param params - cost parameters (default {@link DEFAULT_SCRYPT_PARAMS}).
 * @returns a self-describing string `scrypt$N$r$p$<salt base64url>$<32-byte hash base64url>`.
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/**
 * Checks a password against a hash made by {@link hashPassword}, re-deriving with the stored
 * parameters and comparing in constant time (`crypto.timingSafeEqual`).
 *
 * @param password - the candidate password.
 * @param encoded - the stored `scrypt$N$r$p$salt$hash` string.
 * @returns true when the password matches; false when it does not or the string is malformed.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const validN = Number.isInteger(N) && N >= 2 && N <= 2 ** MAX_LOG2_N && (N & (N - 1)) === 0;
  if (!validN || !Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await derive(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification against a throwaway hash, so that signing in as an
 * unknown user (or one without a password) takes as long as a wrong password and response timing
 * does not reveal which usernames exist.
 *
 * @param password - the candidate password.
 * @returns always false.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  await verifyPassword(password, await dummyHash);
  return false;
}

function derive(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
