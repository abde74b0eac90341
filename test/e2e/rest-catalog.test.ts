import { describe, expect, it } from "vitest";
import { rest } from "../support/mesh.js";

// End to end through Envoy's gRPC-JSON transcoder against the real ProductService on the imported
// MovieLens catalog.

interface ProductJson {
  productId: string;
  title: string;
  year: number;
  categories: string[];
  tags: string[];
  imdbId: string;
}

describe("catalog over REST", () => {
  it("GET /v1/products/{productId} returns the MovieLens movie in proto3 JSON", async () => {
    const res = await rest<{ product: ProductJson }>("GET", "/v1/products/1");
    expect(res.status).toBe(200);
    expect(res.body.product).toMatchObject({
      productId: "1",
      title: "Toy Story (1995)",
      year: 1995,
      categories: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
      imdbId: "tt0114709",
    });
  });

  it("pages through a category and searches titles and tags", async () => {
    const first = await rest<{ products: ProductJson[]; nextPageToken: string; totalSize: number }>(
      "GET",
      "/v1/products?category=Comedy&pageSize=5",
    );
    expect(first.status).toBe(200);
    expect(first.body.products).toHaveLength(5);
    expect(first.body.products.every((p) => p.categories.includes("Comedy"))).toBe(true);
    expect(first.body.totalSize).toBeGreaterThan(3000);
    const second = await rest<{ products: ProductJson[] }>(
      "GET",
      `/v1/products?category=Comedy&pageSize=5&pageToken=${encodeURIComponent(first.body.nextPageToken)}`,
    );
    expect(second.status).toBe(200);
    const firstIds = new Set(first.body.products.map((p) => p.productId));
    expect(second.body.products.some((p) => firstIds.has(p.productId))).toBe(false);

    const search = await rest<{ products: ProductJson[] }>("GET", "/v1/products?query=heat");
    expect(search.status).toBe(200);
    expect(search.body.products.map((p) => p.title)).toContain("Heat (1995)");
  });

  it("GET /v1/categories lists the genres with counts", async () => {
    const res = await rest<{ categories: Array<{ name: string; productCount: number }> }>("GET", "/v1/categories");
    expect(res.status).toBe(200);
    expect(res.body.categories).toContainEqual({ name: "Drama", productCount: 4361 });
  });

  it("answers 404 for an unknown product and 400 naming the field for malformed input", async () => {
    const missing = await rest<{ message: string }>("GET", "/v1/products/99999999");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain("99999999");

    const malformed = await rest<{ message: string }>("GET", "/v1/products/bad%20id!");
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain("product_id");

    const pageSize = await rest<{ message: string }>("GET", "/v1/products?pageSize=500");
    expect(pageSize.status).toBe(400);
    expect(pageSize.body.message).toContain("page_size");
  });
});
