import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";
import { bearer, rest, signUp } from "../support/mesh.js";

// A catalog write through REST reaches every read of the mesh without a restart: ProductService's
// outbox, the catalog-changes topic, and the recommendation service's live catalog (issue 10).
// The products use words no MovieLens movie has, so the other suites' recommendations are unchanged.

interface ItemsJson {
  items: { productId: string; reason?: string }[];
}

const run = randomUUID().slice(0, 8);
const word = `zorblax${run}`;
const category = `Zorblax ${run}`;

function sku(n: number): string {
  return `sku-${run}_${n}.3`;
}

function body(n: number, title: string) {
  return {
    productId: sku(n),
    title,
    description: `A quintessa ${word} gadget of the ${word} range, number ${n}.`,
    categories: [category],
    tags: ["quintessa", word],
    price: { currencyCode: "EUR", units: "12", nanos: 500_000_000 },
    attributes: { brand: "Zorblax" },
  };
}

const create = async (n: number, title: string): Promise<void> => {
  const res = await rest("POST", "/v1/products", body(n, title), bearer());
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

const includes = async (path: string, id: string): Promise<boolean> => {
  const res = await rest<ItemsJson & { products?: { productId: string }[] }>("GET", path, undefined, bearer());
  if (res.status !== 200) return false;
  return (res.body.items ?? res.body.products ?? []).some((i) => i.productId === id);
};

describe("live catalog", () => {
  it("serves a product created through REST in search, similar items, content recommendations and (once clicked) trending, and forgets it once archived", async () => {
    await create(1, "Zorblax Quintessa Lamp");
    const fan = await signUp(`fan${run}`);
    // The fan likes the first product (engagement finds it in the catalog at once).
    const liked = await rest("POST", "/v1/events", { eventId: `lc-${run}-like`, userId: fan.userId, productId: sku(1), type: "EVENT_TYPE_LIKE" }, bearer(fan.token));
    expect(liked.status, JSON.stringify(liked.body)).toBe(200);

    await create(2, "Zorblax Quintessa Lamp Deluxe");
    const id = sku(2);
    const reads = {
      product: async () => (await rest("GET", `/v1/products/${id}`)).status === 200,
      search: () => includes(`/v1/products?query=${word}&pageSize=10`, id),
      similar: () => includes(`/v1/products/${sku(1)}/similar?limit=10`, id),
      recommendations: () => includes(`/v1/users/${fan.userId}/recommendations?limit=20`, id),
      trending: () => includes(`/v1/trending?category=${encodeURIComponent(category)}&limit=10`, id),
    };
    const all = (present: boolean, names: readonly (keyof typeof reads)[]) =>
      Promise.all(names.map((name) => eventually(`${name} ${present ? "has" : "lacks"} ${id}`, async () => ((await reads[name]()) === present ? true : undefined), 15_000, 50)));

    await all(true, ["product", "search", "similar", "recommendations"]);
    const similar = await rest<ItemsJson>("GET", `/v1/products/${sku(1)}/similar?limit=10`, undefined, bearer());
    expect(similar.body.items[0]?.productId).toBe(id);
    const recs = await rest<ItemsJson & { strategy: string }>("GET", `/v1/users/${fan.userId}/recommendations?limit=20`, undefined, bearer());
    expect(recs.body.strategy).toBe("personalized");

    for (let i = 0; i < 3; i++) {
      const click = await rest("POST", "/v1/events", { eventId: `lc-${run}-click-${i}`, userId: fan.userId, productId: id, type: "EVENT_TYPE_CLICK" }, bearer(fan.token));
      expect(click.status).toBe(200);
    }
    await all(true, ["trending"]);

    // A change of text is applied too: renamed away from the lamp, it is no longer its top neighbour.
    const patched = await rest("PATCH", `/v1/products/${id}?updateMask=title,description,tags,categories`, { title: "Completely Different Teapot", description: "porcelain", tags: [], categories: ["Kitchen"] }, bearer());
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await eventually("the renamed product leaves the lamp's similar items", async () => ((await reads.similar()) ? undefined : true), 15_000, 50);

    const archived = await rest("DELETE", `/v1/products/${id}`, undefined, bearer());
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    await all(false, ["product", "search", "similar", "recommendations", "trending"]);
    expect((await rest("GET", `/v1/products/${id}`)).status).toBe(404);
    await rest("DELETE", `/v1/products/${sku(1)}`, undefined, bearer());
  });
});
