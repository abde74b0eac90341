import { useEffect, useState } from "preact/hooks";

/**
 * The console's pages, routed by the URL fragment (`#/product/42`), so the file server needs no
 * fallback for deep links and a reload keeps the page.
 *
 * - `home` `#/` — "for you" and the trending panel;
 * - `catalog` `#/catalog?category=Comedy&q=heat` — search and browse by category;
 * - `product` `#/product/<id>?rec=<recommendation id>` — one product and its similar items;
 *   `rec` is the id of the list the product was followed from (a trending, "for you" or similar
 *   list), so that the events recorded on the product page are attributed to that list;
 * - `playground` `#/playground` — the blend sliders;
 * - `operator` `#/operator` — serving status and click-through (needs the service token);
 * - `login` `#/login` — register or sign in.
 */
export type Route =
  | { readonly page: "home" }
  | { readonly page: "catalog"; readonly category: string; readonly query: string }
  | { readonly page: "product"; readonly productId: string; readonly recommendationId: string }
  | { readonly page: "playground" }
  | { readonly page: "operator" }
  | { readonly page: "login" }
  | { readonly page: "not-found"; readonly path: string };

/**
 * Parses a location fragment into a route.
 *
 * @param hash - `location.hash`, for example `#/catalog?category=Drama`.
 */
export function parseRoute(hash: string): Route {
  const [path = "/", search = ""] = hash.replace(/^#/, "").split("?", 2);
  const params = new URLSearchParams(search);
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { page: "home" };
  if (parts[0] === "catalog" && parts.length === 1) return { page: "catalog", category: params.get("category") ?? "", query: params.get("q") ?? "" };
  if (parts[0] === "product" && parts.length === 2) return { page: "product", productId: decodeURIComponent(parts[1]!), recommendationId: params.get("rec") ?? "" };
  if (parts[0] === "playground" && parts.length === 1) return { page: "playground" };
  if (parts[0] === "operator" && parts.length === 1) return { page: "operator" };
  if (parts[0] === "login" && parts.length === 1) return { page: "login" };
  return { page: "not-found", path };
}

/** The fragment of a route (the inverse of {@link parseRoute}). */
export function href(route: Route): string {
  switch (route.page) {
    case "home":
      return "#/";
    case "catalog": {
      const q = new URLSearchParams();
      if (route.category) q.set("category", route.category);
      if (route.query) q.set("q", route.query);
      const s = q.toString();
      return `#/catalog${s ? `?${s}` : ""}`;
    }
    case "product":
      return `#/product/${encodeURIComponent(route.productId)}${route.recommendationId ? `?rec=${encodeURIComponent(route.recommendationId)}` : ""}`;
    case "playground":
      return "#/playground";
    case "operator":
      return "#/operator";
    case "login":
      return "#/login";
    case "not-found":
      return `#${route.path}`;
  }
}

/** Goes to a route (a new history entry). */
export function navigate(route: Route): void {
  location.hash = href(route);
}

/** Hook: the current route, re-rendering on every fragment change. */
export function useRoute(): Route {
  const [route, set] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const listener = (): void => set(parseRoute(location.hash));
    addEventListener("hashchange", listener);
    return () => removeEventListener("hashchange", listener);
  }, []);
  return route;
}
