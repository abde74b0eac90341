import { describe, expect, it } from "vitest";
import { href, parseRoute, type Route } from "./router.js";

describe("the fragment router", () => {
  it("parses every page and writes it back", () => {
    const routes: Route[] = [
      { page: "home" },
      { page: "catalog", category: "", query: "" },
      { page: "catalog", category: "Sci-Fi", query: "star wars" },
      { page: "product", productId: "42", recommendationId: "" },
      { page: "product", productId: "a/b c", recommendationId: "" },
      { page: "product", productId: "42", recommendationId: "0193a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b" },
      { page: "playground" },
      { page: "operator" },
      { page: "login" },
    ];
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
  });

  it("takes an empty fragment for home and anything else for not found", () => {
    expect(parseRoute("")).toEqual({ page: "home" });
    expect(parseRoute("#")).toEqual({ page: "home" });
    expect(parseRoute("#/operator/x")).toEqual({ page: "not-found", path: "/operator/x" });
    expect(parseRoute("#/product")).toEqual({ page: "not-found", path: "/product" });
  });

  it("keeps the list a product was followed from in the fragment, and only when there is one", () => {
    expect(href({ page: "product", productId: "7", recommendationId: "abc" })).toBe("#/product/7?rec=abc");
    expect(href({ page: "product", productId: "7", recommendationId: "" })).toBe("#/product/7");
    expect(parseRoute("#/product/7")).toEqual({ page: "product", productId: "7", recommendationId: "" });
  });
});
