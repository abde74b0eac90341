import { randomBytes } from "node:crypto";
import { invalidArgument } from "./errors.js";

/** Length of a recommendation id, in characters: a UUID in its canonical 8-4-4-4-12 form. */
export const RECOMMENDATION_ID_LENGTH = 36;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Generates a recommendation id: a UUIDv7 (RFC 9562 §5.7,
 * https://www.rfc-editor.org/rfc/rfc9562#section-5.7) in lower-case canonical form, 36 characters.
 * The first 48 bits are the Unix time in ms, so ids made later sort later (index locality in the
 * engagement database's `impressions` table); 74 bits are random, so ids do not collide in practice
 * and cannot be guessed from one another.
 *
 * @param nowMs - the time to embed, in ms since the epoch (default now).
 * @returns the id, for example `01936b2e-8f3a-7c41-9d2e-5b7f0a1c3e4d`.
 */
export function newRecommendationId(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  const ms = BigInt(Math.max(0, Math.floor(nowMs)));
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Validates a recommendation id received from a client: a UUID in canonical form (36 characters of
 * hexadecimal digits and four '-'; any version, either case), as {@link newRecommendationId} makes.
 *
 * @param field - the proto field name, named in the error (for example `recommendation_id`).
 * @param value - the value received (not empty: callers treat empty as "none").
 * @returns the id in lower case.
 * @throws ConnectError INVALID_ARGUMENT "<field>: must be at most 36 characters, got N" or
 *   "<field>: must be a recommendation_id as answered by the recommendation service (a UUID such as …)".
 */
export function requireRecommendationId(field: string, value: string): string {
  if (value.length > RECOMMENDATION_ID_LENGTH) {
    throw invalidArgument(field, `must be at most ${RECOMMENDATION_ID_LENGTH} characters, got ${value.length}`);
  }
  const id = value.toLowerCase();
  if (!UUID_PATTERN.test(id)) {
    throw invalidArgument(field, "must be a recommendation_id as answered by the recommendation service (a UUID such as 01936b2e-8f3a-7c41-9d2e-5b7f0a1c3e4d)");
  }
  return id;
}
