import { invalidArgument } from "./errors.js";

/** Largest identifier length accepted, in characters. */
export const MAX_ID_LENGTH = 64;

const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/**
 * Validates a resource identifier (product id, user id, event id): 1 to 64 characters of ASCII
 * letters, digits, '.', '_', ':' or '-'.
 *
 * @param field - the proto field name, used in the error message.
 * @param value - the value received.
 * @returns the value, unchanged.
 * @throws ConnectError INVALID_ARGUMENT naming the field when the value is empty or malformed.
 */
export function requireId(field: string, value: string): string {
  if (value.length === 0) throw invalidArgument(field, "is required");
  if (value.length > MAX_ID_LENGTH) {
    throw invalidArgument(field, `must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`);
  }
  if (!ID_PATTERN.test(value)) {
    throw invalidArgument(field, "may contain only letters, digits, '.', '_', ':' and '-'");
  }
  return value;
}

/** Largest product identifier length accepted, in characters (SKUs are longer than other ids). */
export const MAX_PRODUCT_ID_LENGTH = 128;

/**
 * Validates a product identifier: 1 to 128 characters of ASCII letters, digits, '.', '_', ':' or
 * '-' (MovieLens ids like "6", SKUs like "sku-AB_12.3").
 *
 * @param field - the proto field name, used in the error message.
 * @param value - the value received.
 * @returns the value, unchanged.
 * @throws ConnectError INVALID_ARGUMENT naming the field when the value is empty or malformed.
 */
export function requireProductId(field: string, value: string): string {
  if (value.length === 0) throw invalidArgument(field, "is required");
  if (value.length > MAX_PRODUCT_ID_LENGTH) {
    throw invalidArgument(field, `must be at most ${MAX_PRODUCT_ID_LENGTH} characters, got ${value.length}`);
  }
  if (!ID_PATTERN.test(value)) {
    throw invalidArgument(field, "may contain only letters, digits, '.', '_', ':' and '-'");
  }
  return value;
}

/**
 * Resolves a size field where 0 means "use the default" (proto3 has no presence for scalars).
 *
 * @param field - the proto field name, for example `limit` or `page_size`.
 * @param value - the value received (a count).
 * @param defaultValue - the count used when value is 0.
 * @param max - the largest accepted count.
 * @returns the count to use, in [1, max].
 * @throws ConnectError INVALID_ARGUMENT naming the field when value is negative or above max.
 */
export function resolveSize(field: string, value: number, defaultValue: number, max: number): number {
  if (value === 0) return defaultValue;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidArgument(field, `must be between 1 and ${max}, got ${value}`);
  }
  return value;
}

/**
 * Resolves a result limit: 0 means 10, at most 100 (the API-wide rule for `limit`).
 *
 * @param value - the `limit` received.
 * @throws ConnectError INVALID_ARGUMENT naming `limit` when out of range.
 */
export function resolveLimit(value: number): number {
  return resolveSize("limit", value, 10, 100);
}

/**
 * Encodes an opaque page token from a cursor object (base64url of its JSON), as AIP-158
 * recommends (https://google.aip.dev/158): clients must not parse it.
 *
 * @param cursor - plain JSON-serialisable cursor fields.
 */
export function encodePageToken(cursor: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

/**
 * Decodes a page token made by {@link encodePageToken}.
 *
 * @param field - the proto field name (normally `page_token`).
 * @param token - the token received; empty means the first page.
 * @param isCursor - checks the decoded object's shape.
 * @returns the cursor, or undefined for an empty token.
 * @throws ConnectError INVALID_ARGUMENT naming the field when the token is not one of ours.
 */
export function decodePageToken<T>(
  field: string,
  token: string,
  isCursor: (value: unknown) => value is T,
): T | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error("bad alphabet");
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidArgument(field, "is not a token returned by this API");
  }
  if (!isCursor(parsed)) throw invalidArgument(field, "is not a token returned by this API");
  return parsed;
}
