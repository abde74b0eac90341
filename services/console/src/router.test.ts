import { describe, expect, it } from "vitest";
import { href, parseRoute, type Route } from "./router.js";

describe("the fragment router", () => {
  it("parses every page and writes it back", () => {
    const routes: Route[] = [
      { page: "home" },
      { page: "catalog", category: "", query: "" },
      { page: "catalog", category: "Sci-Fi", query: "star wars" },
      { page: "product", productId: "42" },
      { page: "product", productId: "a/b c" },
      { page: "playground" },
      { page: "login" },
    ];
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
  });

  it("takes an empty fragment for home and anything else for not found", () => {
    expect(parseRoute("")).toEqual({ page: "home" });
    expect(parseRoute("#")).toEqual({ page: "home" });
    expect(parseRoute("#/operator")).toEqual({ page: "not-found", path: "/operator" });
    expect(parseRoute("#/product")).toEqual({ page: "not-found", path: "/product" });
  });
});
