import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../infra/paths.js";
import { generateEcommerceSample } from "./ecommerce-sample.js";

const COMMITTED = path.join(REPO_ROOT, "docs", "samples", "ecommerce");

describe("generateEcommerceSample", () => {
  const sample = generateEcommerceSample();

  it("gives byte-identical files for the same seed, other files for another, and the committed files are seed 42's", () => {
    expect(generateEcommerceSample({ seed: 42 })).toEqual(sample);
    const other = generateEcommerceSample({ seed: 7 });
    for (const name of Object.keys(sample)) {
      expect(other[name]).not.toBe(sample[name]);
      expect(readFileSync(path.join(COMMITTED, name), "utf8"), `${name} is not what seed 42 generates: run npx tsx scripts/sample/generate-ecommerce.ts`).toBe(sample[name]);
    }
  });

  it("has 3000 products with distinct valid SKUs, prices in EUR and USD, 500 users and 20000 time-ordered events skewed to a few products", () => {
    const products = sample["products.jsonl"]!.trim().split("\n").map((l) => JSON.parse(l) as { sku: string; pricing: { amount: string; currency: string } });
    expect(products).toHaveLength(3000);
    expect(new Set(products.map((p) => p.sku)).size).toBe(3000);
    for (const p of products) {
      expect(p.sku).toMatch(/^sku-[A-Z]{2}_\d{4}\.\d$/);
      expect(p.pricing.amount).toMatch(/^\d+\.(99|49|00)$/);
    }
    expect(new Set(products.map((p) => p.pricing.currency))).toEqual(new Set(["EUR", "USD"]));
    expect(sample["users.csv"]!.trim().split("\n")).toHaveLength(501);
    const events = sample["events.csv"]!.trim().split("\n").slice(1).map((l) => l.split(","));
    expect(events).toHaveLength(20_000);
    const times = events.map((e) => Date.parse(e[4]!));
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    const perProduct = new Map<string, number>();
    for (const e of events) perProduct.set(e[1]!, (perProduct.get(e[1]!) ?? 0) + 1);
    const top = [...perProduct.values()].sort((a, b) => b - a);
    expect(top.slice(0, 30).reduce((a, b) => a + b, 0)).toBeGreaterThan(20_000 * 0.1);
    expect(new Set(events.map((e) => e[2]))).toEqual(new Set(["view", "click", "like", "dislike", "rate"]));
  });
});
