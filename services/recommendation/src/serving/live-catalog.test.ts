import { describe, expect, it } from "vitest";
import type { CatalogChange, CatalogProduct } from "../models/catalog.js";
import { ContentModel } from "../models/content/content-model.js";
import { LiveCatalog } from "./live-catalog.js";
import { product, servingStateFor, silentLogger } from "./testing/fakes.js";

const CATALOG: CatalogProduct[] = [
  product("1", "Toy Story (1995)", ["Animation", "Children"], ["pixar", "toys"]),
  product("2", "Heat (1995)", ["Crime", "Thriller"], ["heist"]),
  product("3", "Toy Story 2 (1999)", ["Animation", "Children"], ["pixar", "toys"]),
  product("4", "Casino (1995)", ["Crime", "Drama"], ["mafia"]),
  product("5", "Finding Nemo (2003)", ["Animation", "Children"], ["pixar", "fish"]),
];

function change(p: CatalogProduct, revision: number, archived = false): CatalogChange {
  return { product: p, archived, revision, committedAtMs: Date.now() };
}

describe("LiveCatalog", () => {
  it("serves a new SKU at once: in the catalog, with a content vector, and in the neighbour lists of similar products", async () => {
    const holder = servingStateFor(CATALOG);
    const live = new LiveCatalog(holder, { logger: silentLogger() });
    const sku = { ...product("sku-AB_12.3", "Toy Story Plush Woody", ["Animation", "Children"], ["pixar", "toys"]), description: "A soft toy of the Toy Story cowboy" };
    await live.apply([change(sku, 1)]);
    const state = holder.current();
    expect(state.catalog.get("sku-AB_12.3")?.title).toBe("Toy Story Plush Woody");
    expect(state.content.similarity("sku-AB_12.3", "1")).toBeGreaterThan(0.5);
    // Its own list, and the stored list of Toy Story, which it now belongs to (first or second).
    expect(state.neighbors("sku-AB_12.3").map((n) => n.productId).slice(0, 2).sort()).toEqual(["1", "3"]);
    expect(state.neighbors("1").slice(0, 2).map((n) => n.productId)).toContain("sku-AB_12.3");
    expect(state.neighbors("2").map((n) => n.productId)).not.toContain("sku-AB_12.3");
  });

  it("re-scores a product whose text moved away, and drops an archived product from the catalog, the model and every list", async () => {
    const holder = servingStateFor(CATALOG);
    const live = new LiveCatalog(holder, { logger: silentLogger() });
    expect(holder.current().neighbors("1")[0]?.productId).toBe("3");
    await live.apply([change(product("3", "Heat 2 (2026)", ["Crime", "Thriller"], ["heist"]), 1)]);
    let state = holder.current();
    expect(state.neighbors("1").map((n) => n.productId)).not.toContain("3");
    expect(state.neighbors("2")[0]?.productId).toBe("3");

    await live.apply([change(product("5", "", [], []), 2, true)]);
    state = holder.current();
    expect(state.catalog.has("5")).toBe(false);
    expect(state.content.vector("5")).toBeUndefined();
    for (const p of state.catalog.products()) expect(state.neighbors(p.productId).map((n) => n.productId)).not.toContain("5");
  });

  it("ignores a redelivered or older revision, and applies a restore after an archive", async () => {
    const holder = servingStateFor(CATALOG);
    const live = new LiveCatalog(holder, { logger: silentLogger() });
    await live.apply([change(product("9", "Brand new", ["Drama"]), 2)]);
    await live.apply([change(product("9", "Older title", ["Drama"]), 1), change(product("9", "Brand new", ["Drama"]), 2)]);
    expect(holder.current().catalog.get("9")?.title).toBe("Brand new");
    await live.apply([change(product("9", "", []), 3, true)]);
    expect(holder.current().catalog.has("9")).toBe(false);
    await live.apply([change(product("9", "Back again", ["Drama"]), 4)]);
    expect(holder.current().catalog.get("9")?.title).toBe("Back again");
  });

  it("rebuilds the content model from scratch (fresh idf) after the configured number of changes", async () => {
    const holder = servingStateFor(CATALOG);
    const live = new LiveCatalog(holder, { logger: silentLogger(), rebuildAfterChanges: 3, chunkSize: 1 });
    const added = [1, 2, 3].map((i) => product(`n${i}`, `Space Opera ${i}`, ["Sci-Fi"], ["space"]));
    await live.apply(added.map((p, i) => change(p, i + 1)));
    const state = holder.current();
    const fresh = ContentModel.build(state.catalog.products());
    expect(state.content.model.idf).toEqual(fresh.model.idf);
    expect(state.catalog.size).toBe(CATALOG.length + 3);
  });

  it("resync makes the served catalog equal to a full read", async () => {
    const holder = servingStateFor(CATALOG);
    const live = new LiveCatalog(holder, { logger: silentLogger() });
    const read = [...CATALOG.filter((p) => p.productId !== "4"), product("2", "Heat (Director's Cut)", ["Crime"]), product("x1", "Extra", ["Drama"])];
    const byId = new Map(read.map((p) => [p.productId, p]));
    const result = await live.resync([...byId.values()]);
    expect(result).toEqual({ upserts: 2, removals: 1 });
    const state = holder.current();
    expect([...state.catalog.products()].map((p) => p.productId).sort()).toEqual(["1", "2", "3", "5", "x1"]);
    expect(state.catalog.get("2")?.title).toBe("Heat (Director's Cut)");
  });
});
