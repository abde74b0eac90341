import { describe, expect, it } from "vitest";
import { loadProductConfig } from "./config.js";

describe("loadProductConfig", () => {
  it("has documented defaults and fails fast on a bad value", () => {
    expect(loadProductConfig({})).toEqual({
      HOST: "127.0.0.1",
      PORT: 50052,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_product",
      DATABASE_POOL_MAX: 10,
      CATEGORIES_CACHE_MS: 1_000,
    });
    expect(() => loadProductConfig({ CATEGORIES_CACHE_MS: "-1" })).toThrow(/CATEGORIES_CACHE_MS/);
    expect(() => loadProductConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadProductConfig({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
  });
});
