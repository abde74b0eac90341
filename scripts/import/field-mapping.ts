import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

/** What a file import loads: catalog products, user accounts or engagement events. */
export type ImportKind = "products" | "users" | "events";

/** Every {@link ImportKind}. */
export const IMPORT_KINDS: readonly ImportKind[] = ["products", "users", "events"];

/**
 * How a source value becomes a field value:
 * - `string`: text as is (numbers and booleans are written out);
 * - `list`: a JSON array, or a text split by `separator` (default "|"), trimmed, empty parts dropped;
 * - `integer`, `number`: a JSON number or a decimal text;
 * - `money`: a decimal amount ("12.99", 12.99, or "12.99 EUR") and an ISO 4217 currency, fixed
 *   (`currency`) or read from another column (`currencyColumn`, default "currency"), as
 *   google.type.Money units and nanos;
 * - `timestamp`: seconds since the Unix epoch (digits, fractions allowed) or an ISO 8601 date-time;
 *   `unix-ms`: milliseconds since the epoch;
 * - `event-type`: click, view, like, dislike or rate (any case, or EVENT_TYPE_CLICK …);
 * - `year-from-title`: the year of a MovieLens-style title ending in "(1995)", else 0.
 */
export type FieldTransform =
  | "string"
  | "list"
  | "integer"
  | "number"
  | "money"
  | "timestamp"
  | "unix-ms"
  | "event-type"
  | "year-from-title";

const TRANSFORMS: readonly FieldTransform[] = [
  "string",
  "list",
  "integer",
  "number",
  "money",
  "timestamp",
  "unix-ms",
  "event-type",
  "year-from-title",
];

/** Where one target field's value comes from, and how it is converted. */
export interface FieldSpec {
  /** The source column (CSV header) or JSON key; a dotted path reaches into nested JSON objects. */
  readonly column?: string;
  /** A constant value instead of a column, for example "RATE" for every event of a ratings file. */
  readonly value?: string;
  /** A text built from columns, `{column}` standing for a column's value, for example "ml:rating:{userId}:{movieId}". */
  readonly template?: string;
  /** The conversion (default: the field's own, see {@link TARGET_FIELDS}). */
  readonly transform?: FieldTransform;
  /** Separator of a `list` held in one text (default "|"). */
  readonly separator?: string;
  /** Fixed ISO 4217 currency of a `money` field, for example "EUR". */
  readonly currency?: string;
  /** Column holding the currency of a `money` field (default "currency" when `currency` is unset). */
  readonly currencyColumn?: string;
}

/**
 * A field mapping: target field ← source. Targets are the fields of {@link TARGET_FIELDS} for the
 * kind, plus `attributes.<key>` for products. Target fields the mapping leaves out are read from the
 * source column of the same name when there is one (and, for products, every column or JSON key
 * named `attributes.<key>`, and a JSON object `attributes`).
 */
export type FieldMapping = Readonly<Record<string, FieldSpec>>;

/** The target fields of each kind, with the transform each gets by default. */
export const TARGET_FIELDS: Readonly<Record<ImportKind, Readonly<Record<string, FieldTransform>>>> = {
  products: {
    product_id: "string",
    title: "string",
    year: "integer",
    categories: "list",
    tags: "list",
    description: "string",
    imdb_id: "string",
    tmdb_id: "string",
    price: "money",
    image_url: "string",
    attributes: "string",
  },
  users: { user_id: "string", username: "string", email: "string" },
  events: { event_id: "string", user_id: "string", product_id: "string", type: "event-type", value: "number", occur_time: "timestamp" },
};

/** A value of a row that cannot become its field: the field is named in the message. */
export class FieldError extends Error {
  /**
   * @param field - the target field, for example "price".
   * @param problem - what is wrong, for example `"abc" is not a decimal amount`.
   */
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "FieldError";
  }
}

/** A mapped amount of money (google.type.Money). */
export interface MoneyValue {
  /** ISO 4217 code, three upper-case letters. */
  readonly currencyCode: string;
  /** Whole units. */
  readonly units: bigint;
  /** Nano units, 0 to 999,999,999 (negative only for a negative amount). */
  readonly nanos: number;
}

/** A mapped field value. */
export type FieldValue = string | number | bigint | readonly string[] | MoneyValue | Date;

/** One source row after mapping: each target field that had a value, and the product attributes. */
export interface MappedRow {
  /** Target field → value; fields without a value in the row are absent. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Product attributes (key → value); empty for other kinds. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Reads a mapping file: JSON or YAML (by extension; `.yaml`/`.yml` are YAML), an object
 * `{ "fields": { target: source } }` (or the fields object itself) where a source is a column name
 * or a {@link FieldSpec} object.
 *
 * @param file - the mapping file's path.
 * @param kind - the kind it maps, whose target fields it is checked against.
 * @returns the mapping.
 * @throws Error naming the file and the target field of an unknown field, transform or key.
 */
export function readMappingFile(file: string, kind: ImportKind): FieldMapping {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`--mapping ${file}: cannot be read (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`--mapping ${file}: is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"} (${(err as Error).message})`);
  }
  const fields = isObject(parsed) && isObject(parsed.fields) ? parsed.fields : parsed;
  if (!isObject(fields)) throw new Error(`--mapping ${file}: must be an object of target fields`);
  return parseMapping(fields, kind, `--mapping ${file}`);
}

/**
 * Checks and normalises a mapping object (see {@link readMappingFile}).
 *
 * @param fields - target → column name or spec object.
 * @param kind - the kind mapped.
 * @param where - names the mapping's origin in error messages.
 * @throws Error naming the target field of an unknown field, transform or key.
 */
export function parseMapping(fields: Record<string, unknown>, kind: ImportKind, where: string): FieldMapping {
  const mapping: Record<string, FieldSpec> = {};
  for (const [target, raw] of Object.entries(fields)) {
    checkTarget(kind, target, where);
    if (typeof raw === "string") {
      mapping[target] = { column: raw };
      continue;
    }
    if (!isObject(raw)) throw new Error(`${where}: ${target}: must be a column name or an object`);
    for (const key of Object.keys(raw)) {
      if (!["column", "value", "template", "transform", "separator", "currency", "currencyColumn"].includes(key)) {
        throw new Error(`${where}: ${target}: unknown key ${JSON.stringify(key)}`);
      }
    }
    const spec = raw as FieldSpec;
    const sources = [spec.column, spec.value, spec.template].filter((s) => s !== undefined).length;
    if (sources !== 1) throw new Error(`${where}: ${target}: needs exactly one of column, value or template`);
    if (spec.transform !== undefined && !TRANSFORMS.includes(spec.transform)) {
      throw new Error(`${where}: ${target}: unknown transform ${JSON.stringify(spec.transform)} (one of ${TRANSFORMS.join(", ")})`);
    }
    if (spec.currency !== undefined && !/^[A-Z]{3}$/.test(spec.currency)) {
      throw new Error(`${where}: ${target}: currency must be an ISO 4217 code like EUR, got ${JSON.stringify(spec.currency)}`);
    }
    mapping[target] = { ...spec };
  }
  return mapping;
}

/**
 * Reads `--map field=column` and `--set field=value` flags into a mapping.
 *
 * @param kind - the kind mapped.
 * @param maps - `target=column` entries.
 * @param sets - `target=constant` entries.
 * @throws Error naming the flag of an entry without "=" or with an unknown target.
 */
export function mappingFromFlags(kind: ImportKind, maps: readonly string[], sets: readonly string[]): FieldMapping {
  const mapping: Record<string, FieldSpec> = {};
  for (const [flag, entries] of [
    ["--map", maps],
    ["--set", sets],
  ] as const) {
    for (const entry of entries) {
      const eq = entry.indexOf("=");
      if (eq <= 0) throw new Error(`${flag} ${entry}: must be written field=${flag === "--map" ? "column" : "value"}`);
      const target = entry.slice(0, eq);
      checkTarget(kind, target, flag);
      mapping[target] = flag === "--map" ? { column: entry.slice(eq + 1) } : { value: entry.slice(eq + 1) };
    }
  }
  return mapping;
}

/**
 * Maps one source row to the kind's target fields.
 *
 * @param kind - what the row is.
 * @param mapping - the explicit mapping; other target fields come from same-named columns.
 * @param record - the row: CSV header → text, or a JSON object.
 * @returns the mapped fields and attributes.
 * @throws FieldError naming the target field of the first value that cannot be converted.
 */
export function mapRow(kind: ImportKind, mapping: FieldMapping, record: Readonly<Record<string, unknown>>): MappedRow {
  const fields: Record<string, FieldValue> = {};
  const attributes: Record<string, string> = {};
  const targets = TARGET_FIELDS[kind];
  for (const target of Object.keys(targets)) {
    if (target === "attributes") continue;
    const spec = mapping[target] ?? (lookup(record, target) !== undefined ? { column: target } : undefined);
    if (!spec) continue;
    const value = convert(target, spec, spec.transform ?? targets[target]!, record);
    if (value !== undefined) fields[target] = value;
  }
  if (kind === "products") {
    if (!mapping.attributes) {
      const nested = record.attributes;
      if (isObject(nested)) for (const [key, v] of Object.entries(nested)) if (present(v)) attributes[key] = asText(`attributes.${key}`, v);
      for (const [column, v] of Object.entries(record)) {
        if (column.startsWith("attributes.") && present(v)) attributes[column.slice("attributes.".length)] = asText(column, v);
      }
    }
    for (const [target, spec] of Object.entries(mapping)) {
      if (!target.startsWith("attributes.")) continue;
      const value = convert(target, spec, "string", record);
      if (value !== undefined) attributes[target.slice("attributes.".length)] = value as string;
    }
  }
  return { fields, attributes };
}

function checkTarget(kind: ImportKind, target: string, where: string): void {
  if (kind === "products" && /^attributes\.[A-Za-z0-9._-]{1,64}$/.test(target)) return;
  if (target === "attributes" || !(target in TARGET_FIELDS[kind])) {
    const known = Object.keys(TARGET_FIELDS[kind]).filter((t) => t !== "attributes");
    throw new Error(
      `${where}: ${JSON.stringify(target)} is not a ${kind} field (one of ${known.join(", ")}${kind === "products" ? ", attributes.<key>" : ""})`,
    );
  }
}

function convert(target: string, spec: FieldSpec, transform: FieldTransform, record: Readonly<Record<string, unknown>>): FieldValue | undefined {
  let raw: unknown;
  if (spec.value !== undefined) raw = spec.value;
  else if (spec.template !== undefined) {
    raw = spec.template.replace(/\{([^}]+)\}/g, (_, column: string) => {
      const v = lookup(record, column);
      if (!present(v)) throw new FieldError(target, `column ${JSON.stringify(column)} of the template is empty or missing`);
      return asText(target, v);
    });
  } else raw = lookup(record, spec.column!);
  if (!present(raw)) return undefined;
  switch (transform) {
    case "string":
      return asText(target, raw);
    case "list":
      if (Array.isArray(raw)) return raw.filter(present).map((v) => asText(target, v));
      return asText(target, raw)
        .split(spec.separator ?? "|")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    case "integer": {
      const n = asNumber(target, raw);
      if (!Number.isInteger(n) || Math.abs(n) > 2_147_483_647) throw new FieldError(target, `${JSON.stringify(raw)} is not a 32-bit integer`);
      return n;
    }
    case "number":
      return asNumber(target, raw);
    case "money":
      return asMoney(target, raw, spec, record);
    case "timestamp":
    case "unix-ms":
      return asTimestamp(target, raw, transform === "unix-ms");
    case "event-type":
      return asEventType(target, raw);
    case "year-from-title": {
      const match = /\((\d{4})\)\s*$/.exec(asText(target, raw));
      return match ? Number(match[1]) : 0;
    }
  }
}

/** Finds a column: the exact key first, then a dotted path into nested objects. */
function lookup(record: Readonly<Record<string, unknown>>, column: string): unknown {
  if (column in record) return record[column];
  let current: unknown = record;
  for (const part of column.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
}

function asText(field: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new FieldError(field, `must be text, got ${Array.isArray(v) ? "an array" : typeof v}`);
}

const DECIMAL = /^[+-]?(\d+)(?:\.(\d*))?$|^[+-]?\.(\d+)$/;

function asNumber(field: string, v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && DECIMAL.test(v.trim())) return Number(v.trim());
  throw new FieldError(field, `${JSON.stringify(v)} is not a number`);
}

function asMoney(field: string, raw: unknown, spec: FieldSpec, record: Readonly<Record<string, unknown>>): MoneyValue {
  let amount = typeof raw === "number" ? String(raw) : asText(field, raw).trim();
  let currency = spec.currency;
  const withCode = /^(\S+)\s+([A-Z]{3})$/.exec(amount);
  if (withCode) {
    amount = withCode[1]!;
    currency ??= withCode[2];
  }
  if (currency === undefined) {
    const column = spec.currencyColumn ?? "currency";
    const code = lookup(record, column);
    if (!present(code)) throw new FieldError(field, `needs a currency: column ${JSON.stringify(column)} is empty or missing`);
    currency = asText(field, code).trim();
  }
  if (!/^[A-Z]{3}$/.test(currency)) throw new FieldError(field, `currency ${JSON.stringify(currency)} is not an ISO 4217 code like EUR`);
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(amount);
  if (!match) throw new FieldError(field, `${JSON.stringify(amount)} is not a decimal amount like 12.99`);
  const sign = match[1] === "-" ? -1 : 1;
  const units = BigInt(match[2]!) * BigInt(sign);
  const nanos = Number((match[3] ?? "").padEnd(9, "0")) * sign;
  return { currencyCode: currency, units, nanos: nanos === 0 ? 0 : nanos };
}

function asTimestamp(field: string, v: unknown, millis: boolean): Date {
  const text = typeof v === "number" ? String(v) : asText(field, v).trim();
  let date: Date;
  if (/^\d+(\.\d+)?$/.test(text)) date = new Date(Number(text) * (millis ? 1 : 1000));
  else if (/^\d{4}-\d{2}-\d{2}/.test(text)) date = new Date(text);
  else throw new FieldError(field, `${JSON.stringify(text)} is not a time (seconds since the epoch or ISO 8601)`);
  if (Number.isNaN(date.getTime())) throw new FieldError(field, `${JSON.stringify(text)} is not a valid time`);
  return date;
}

const EVENT_TYPES = ["click", "view", "like", "dislike", "rate"] as const;

function asEventType(field: string, v: unknown): string {
  const text = asText(field, v).trim().toLowerCase().replace(/^event_type_/, "");
  if ((EVENT_TYPES as readonly string[]).includes(text)) return text;
  throw new FieldError(field, `${JSON.stringify(v)} is not an event type (one of ${EVENT_TYPES.join(", ")})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
