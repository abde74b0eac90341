import type { Money as MoneyMessage } from "../../../../gen/google/type/money_pb.js";
import type { Product } from "../../../../gen/recsys/product/v1/product_service_pb.js";
import { invalidArgument } from "../../../shared/src/errors.js";
import { requireProductId } from "../../../shared/src/validation.js";
import type { Money, ProductFields, ProductRecord } from "../data/product-repository.js";

/** Bounds of a product's fields (the proto comments state the same). */
export const PRODUCT_LIMITS = {
  /** Title, in characters. */
  title: 512,
  /** Description, in characters. */
  description: 10_000,
  /** Categories per product, a count. */
  categories: 50,
  /** One category, in characters. */
  category: 64,
  /** Tags per product, a count. */
  tags: 50,
  /** One tag, in characters. */
  tag: 128,
  /** IMDb and TMDB ids, in characters. */
  externalId: 32,
  /** Image URL, in characters. */
  imageUrl: 2_048,
  /** Attributes per product, a count. */
  attributes: 50,
  /** One attribute value, in characters. */
  attributeValue: 256,
  /** Largest year. */
  year: 9_999,
} as const;

/** The fields an update mask may name (snake_case proto names), AIP-134. */
export const UPDATABLE_FIELDS = ["title", "year", "categories", "tags", "description", "imdb_id", "tmdb_id", "price", "image_url", "attributes"] as const;

/** One name of {@link UPDATABLE_FIELDS}. */
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Control characters other than tab and newlines, for multi-line text. */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9._-]{1,64}$/;
const EXTERNAL_ID = /^[A-Za-z0-9._-]*$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Validates one product of a write request and maps it to the stored shape.
 *
 * @param prefix - the field path of the product in the request ("product", "products[3]").
 * @param product - the product as received (undefined when the request left it out).
 * @param options - `requireId: false` skips the id (UpdateProduct names it outside the product).
 * @returns the record to store; create_time and update_time are ignored.
 * @throws ConnectError INVALID_ARGUMENT naming the offending field, for example
 *   "products[3].price.currency_code: must be an ISO 4217 code of three upper-case letters".
 */
export function validateProduct(prefix: string, product: Product | undefined, options: { readonly requireId?: boolean } = {}): ProductRecord {
  if (!product) throw invalidArgument(prefix, "is required");
  const productId = options.requireId === false ? product.productId : requireProductId(`${prefix}.product_id`, product.productId);
  return { productId, ...validateFields(prefix, product, UPDATABLE_FIELDS) };
}

/**
 * Validates the named fields of a product (the others are not read).
 *
 * @param prefix - the product's field path.
 * @param product - the product as received.
 * @param fields - which fields to validate and return.
 * @returns those fields in the stored shape.
 * @throws ConnectError INVALID_ARGUMENT naming the offending field.
 */
export function validateFields(prefix: string, product: Product, fields: readonly UpdatableField[]): ProductFields {
  const f = (name: string) => `${prefix}.${name}`;
  const out: Record<string, unknown> = {};
  const want = new Set(fields);
  if (want.has("title")) out.title = text(f("title"), product.title, PRODUCT_LIMITS.title, true);
  if (want.has("year")) {
    if (!Number.isInteger(product.year) || product.year < 0 || product.year > PRODUCT_LIMITS.year) {
      throw invalidArgument(f("year"), `must be between 0 and ${PRODUCT_LIMITS.year}, got ${product.year}`);
    }
    out.year = product.year;
  }
  if (want.has("categories")) out.categories = list(f("categories"), product.categories, PRODUCT_LIMITS.categories, PRODUCT_LIMITS.category);
  if (want.has("tags")) out.tags = list(f("tags"), product.tags, PRODUCT_LIMITS.tags, PRODUCT_LIMITS.tag);
  if (want.has("description")) {
    if (product.description.length > PRODUCT_LIMITS.description) {
      throw invalidArgument(f("description"), `must be at most ${PRODUCT_LIMITS.description} characters, got ${product.description.length}`);
    }
    if (CONTROL_IN_TEXT.test(product.description)) throw invalidArgument(f("description"), "must not contain control characters other than tabs and newlines");
    out.description = product.description;
  }
  if (want.has("imdb_id")) out.imdbId = externalId(f("imdb_id"), product.imdbId);
  if (want.has("tmdb_id")) out.tmdbId = externalId(f("tmdb_id"), product.tmdbId);
  if (want.has("price")) out.price = product.price ? validateMoney(f("price"), product.price) : undefined;
  if (want.has("image_url")) out.imageUrl = imageUrl(f("image_url"), product.imageUrl);
  if (want.has("attributes")) out.attributes = attributes(f("attributes"), product.attributes);
  return out as ProductFields;
}

/**
 * Validates a google.type.Money: an ISO 4217 code of three upper-case letters, units ≥ 0 and
 * 0 ≤ nanos < 10^9 (https://github.com/googleapis/googleapis/blob/master/google/type/money.proto;
 * negative prices are refused).
 *
 * @param field - the field path of the money ("product.price", "min_price").
 * @param money - the value received.
 * @throws ConnectError INVALID_ARGUMENT naming `<field>.currency_code`, `<field>.units` or `<field>.nanos`.
 */
export function validateMoney(field: string, money: MoneyMessage): Money {
  if (!CURRENCY.test(money.currencyCode)) throw invalidArgument(`${field}.currency_code`, "must be an ISO 4217 code of three upper-case letters, for example EUR");
  if (money.units < 0n) throw invalidArgument(`${field}.units`, `must not be negative, got ${money.units}`);
  if (!Number.isInteger(money.nanos) || money.nanos < 0 || money.nanos >= 1_000_000_000) {
    throw invalidArgument(`${field}.nanos`, `must be between 0 and 999999999, got ${money.nanos}`);
  }
  return { currencyCode: money.currencyCode, units: money.units, nanos: money.nanos };
}

/**
 * Resolves an update mask (AIP-134, https://google.aip.dev/134) to the fields to change: the paths
 * named (snake_case, or the lowerCamelCase of the JSON form), "*" for all, or, for an empty mask,
 * every field the product sets to a non-default value.
 *
 * @param paths - the mask's paths.
 * @param product - the product carrying the new values.
 * @throws ConnectError INVALID_ARGUMENT naming `update_mask.paths[i]` for an unknown path, or
 *   `update_mask` when an empty mask meets a product that sets nothing.
 */
export function resolveUpdateMask(paths: readonly string[], product: Product): UpdatableField[] {
  if (paths.length === 0) {
    const set = UPDATABLE_FIELDS.filter((field) => {
      switch (field) {
        case "title":
        case "description":
          return product[field] !== "";
        case "imdb_id":
          return product.imdbId !== "";
        case "tmdb_id":
          return product.tmdbId !== "";
        case "image_url":
          return product.imageUrl !== "";
        case "year":
          return product.year !== 0;
        case "categories":
        case "tags":
          return product[field].length > 0;
        case "price":
          return product.price !== undefined;
        case "attributes":
          return Object.keys(product.attributes).length > 0;
      }
    });
    if (set.length === 0) throw invalidArgument("update_mask", "is empty and the product sets no field: nothing to update");
    return set;
  }
  const out = new Set<UpdatableField>();
  paths.forEach((raw, i) => {
    const path = raw.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (path === "*") {
      for (const field of UPDATABLE_FIELDS) out.add(field);
      return;
    }
    if (!(UPDATABLE_FIELDS as readonly string[]).includes(path)) {
      throw invalidArgument(`update_mask.paths[${i}]`, `names no updatable field: ${JSON.stringify(raw)} (one of ${UPDATABLE_FIELDS.join(", ")}, or *)`);
    }
    out.add(path as UpdatableField);
  });
  return [...out];
}

/**
 * Parses the ListProducts `attribute` filter, "key=value".
 *
 * @throws ConnectError INVALID_ARGUMENT naming `attribute` when it has no '=' or a bad key.
 */
export function parseAttributeFilter(value: string): { key: string; value: string } | undefined {
  if (value === "") return undefined;
  const at = value.indexOf("=");
  if (at < 0) throw invalidArgument("attribute", 'must be written "key=value"');
  const key = value.slice(0, at);
  if (!ATTRIBUTE_KEY.test(key)) throw invalidArgument("attribute", "key must be 1 to 64 letters, digits, '.', '_' or '-'");
  return { key, value: text("attribute", value.slice(at + 1), PRODUCT_LIMITS.attributeValue, false) };
}

function text(field: string, value: string, max: number, required: boolean): string {
  if (required && value.trim() === "") throw invalidArgument(field, "is required");
  if (value.length > max) throw invalidArgument(field, `must be at most ${max} characters, got ${value.length}`);
  if (CONTROL.test(value)) throw invalidArgument(field, "must not contain control characters");
  return value;
}

function list(field: string, values: readonly string[], maxCount: number, maxLength: number): string[] {
  if (values.length > maxCount) throw invalidArgument(field, `must hold at most ${maxCount} entries, got ${values.length}`);
  values.forEach((v, i) => text(`${field}[${i}]`, v, maxLength, true));
  return [...values];
}

function externalId(field: string, value: string): string {
  if (value.length > PRODUCT_LIMITS.externalId || !EXTERNAL_ID.test(value)) {
    throw invalidArgument(field, `must be at most ${PRODUCT_LIMITS.externalId} letters, digits, '.', '_' or '-'`);
  }
  return value;
}

function imageUrl(field: string, value: string): string {
  if (value === "") return "";
  if (value.length > PRODUCT_LIMITS.imageUrl) throw invalidArgument(field, `must be at most ${PRODUCT_LIMITS.imageUrl} characters, got ${value.length}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(field, "must be an absolute http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidArgument(field, "must be an absolute http or https URL");
  return value;
}

function attributes(field: string, values: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(values);
  if (entries.length > PRODUCT_LIMITS.attributes) throw invalidArgument(field, `must hold at most ${PRODUCT_LIMITS.attributes} entries, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (!ATTRIBUTE_KEY.test(key)) throw invalidArgument(`${field}[${JSON.stringify(key)}]`, "key must be 1 to 64 letters, digits, '.', '_' or '-'");
    text(`${field}[${JSON.stringify(key)}]`, value, PRODUCT_LIMITS.attributeValue, false);
  }
  return Object.fromEntries(entries);
}
