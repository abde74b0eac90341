import path from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ProductSchema } from "../../gen/recsys/product/v1/product_service_pb.js";
import { REPO_ROOT } from "../infra/paths.js";
import { FieldError, mapRow, mappingFromFlags, parseMapping, readMappingFile } from "./field-mapping.js";
import { derivedEventId, toProduct, toRecordEvent } from "./import-target.js";
import { readRecords } from "./record-source.js";

const SAMPLE = path.join(REPO_ROOT, "docs", "samples", "ecommerce");

describe("mapRow", () => {
  it("reads same-named columns with each field's default transform, and attributes.<key> columns", () => {
    const row = mapRow("products", {}, {
      product_id: "sku-AB_12.3",
      title: "Kettle",
      year: "2024",
      categories: "Home|Kitchen ",
      tags: "",
      price: "12.5",
      currency: "EUR",
      "attributes.brand": "Acme",
      unrelated: "x",
    });
    expect(row.fields).toEqual({
      product_id: "sku-AB_12.3",
      title: "Kettle",
      year: 2024,
      categories: ["Home", "Kitchen"],
      price: { currencyCode: "EUR", units: 12n, nanos: 500_000_000 },
    });
    expect(row.attributes).toEqual({ brand: "Acme" });
  });

  it("applies a mapping: columns, nested JSON paths, constants, templates, splits, money and times", () => {
    const mapping = parseMapping(
      {
        event_id: { template: "ml:rating:{userId}:{movieId}" },
        user_id: "userId",
        product_id: "movieId",
        type: { value: "RATE" },
        value: "rating",
        occur_time: "meta.ts",
      },
      "events",
      "test",
    );
    const row = mapRow("events", mapping, { userId: "1", movieId: "31", rating: "2.5", meta: { ts: 964982703 } });
    expect(row.fields).toEqual({
      event_id: "ml:rating:1:31",
      user_id: "1",
      product_id: "31",
      type: "rate",
      value: 2.5,
      occur_time: new Date(964982703_000),
    });
    const price = mapRow("products", parseMapping({ price: { column: "p", currency: "USD" } }, "products", "t"), { p: "0.05" });
    expect(price.fields.price).toEqual({ currencyCode: "USD", units: 0n, nanos: 50_000_000 });
    const inline = mapRow("products", {}, { price: "3 EUR" });
    expect(inline.fields.price).toEqual({ currencyCode: "EUR", units: 3n, nanos: 0 });
    expect(mapRow("products", parseMapping({ year: { column: "title", transform: "year-from-title" } }, "products", "t"), { title: "Heat (1995)" }).fields.year).toBe(1995);
  });

  it("names the field of a value that cannot be converted", () => {
    const bad = (kind: "products" | "events", record: Record<string, unknown>) => {
      try {
        mapRow(kind, {}, record);
      } catch (err) {
        return err instanceof FieldError ? `${err.field}: ${err.problem}` : String(err);
      }
      return "no error";
    };
    expect(bad("products", { price: "12,99", currency: "EUR" })).toBe('price: "12,99" is not a decimal amount like 12.99');
    expect(bad("products", { price: "12.99" })).toBe('price: needs a currency: column "currency" is empty or missing');
    expect(bad("products", { year: "MCMXCV" })).toBe('year: "MCMXCV" is not a number');
    expect(bad("events", { type: "purchase" })).toBe('type: "purchase" is not an event type (one of click, view, like, dislike, rate)');
    expect(bad("events", { occur_time: "yesterday" })).toBe('occur_time: "yesterday" is not a time (seconds since the epoch or ISO 8601)');
  });

  it("refuses unknown target fields, transforms and flags, naming them", () => {
    expect(() => parseMapping({ colour: "c" }, "products", "--mapping m.yaml")).toThrow(/--mapping m.yaml: "colour" is not a products field/);
    expect(() => parseMapping({ title: { column: "t", transform: "upper" } }, "products", "m")).toThrow(/title: unknown transform "upper"/);
    expect(() => parseMapping({ title: { column: "t", value: "x" } }, "products", "m")).toThrow(/title: needs exactly one of column, value or template/);
    expect(() => mappingFromFlags("users", ["username"], [])).toThrow(/--map username: must be written field=column/);
    expect(mappingFromFlags("events", ["user_id=uid"], ["type=like"])).toEqual({ user_id: { column: "uid" }, type: { value: "like" } });
  });

  it("derives the same event id from the same event whatever the format, and another for another event", () => {
    const csv = mapRow("events", {}, { user_id: "u-1", product_id: "p", type: "view", value: "", occur_time: "2025-01-01T00:01:02Z" });
    const json = mapRow("events", readMappingFile(path.join(SAMPLE, "events.jsonl.mapping.yaml"), "events"), { shopper: "u-1", sku: "p", action: "VIEW", ts: 1735689662 });
    expect(derivedEventId(csv)).toBe(derivedEventId(json));
    expect(derivedEventId(csv)).toMatch(/^imp:[A-Za-z0-9_-]{32}$/);
    expect(toRecordEvent(csv).eventId).toBe(derivedEventId(csv));
    const other = mapRow("events", {}, { user_id: "u-1", product_id: "p", type: "click", occur_time: "2025-01-01T00:01:02Z" });
    expect(derivedEventId(other)).not.toBe(derivedEventId(csv));
  });

  it("maps the sample's products.csv (no mapping) and products.jsonl (its mapping file) to the same products", async () => {
    const fromCsv = [];
    for await (const r of readRecords(path.join(SAMPLE, "products.csv"), "csv")) fromCsv.push(toJson(ProductSchema, toProduct(mapRow("products", {}, r.record!))));
    const mapping = readMappingFile(path.join(SAMPLE, "products.jsonl.mapping.yaml"), "products");
    const fromJsonl = [];
    for await (const r of readRecords(path.join(SAMPLE, "products.jsonl"), "jsonl")) fromJsonl.push(toJson(ProductSchema, toProduct(mapRow("products", mapping, r.record!))));
    expect(fromCsv).toHaveLength(3000);
    expect(fromJsonl).toEqual(fromCsv);
    expect(fromCsv[0]).toMatchObject({ productId: expect.stringMatching(/^sku-/), price: { currencyCode: expect.stringMatching(/^(EUR|USD)$/) }, attributes: { brand: expect.any(String) } });
  });
});
