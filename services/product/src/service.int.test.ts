import { Code, createClient, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import {
  GetProductRequestSchema,
  ListProductsRequestSchema,
  ProductService,
} from "../../../gen/recsys/product/v1/product_service_pb.js";
import { AccessControl } from "../../shared/src/access-control.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { encodePageToken } from "../../shared/src/validation.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { ProductRepository, type ProductRecord } from "./data/product-repository.js";
import { PRODUCT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { productRegistration } from "./server.js";
import { ProductServiceImpl } from "./service.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";

const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN });
const asService = { headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` } };

function product(id: number, title: string, categories: string[], tags: string[] = []): ProductRecord {
  return { productId: String(id), title, year: 1995, categories, tags, description: "", imdbId: "", tmdbId: "" };
}

const FIXTURES: ProductRecord[] = [
  { ...product(1, "Toy Story (1995)", ["Adventure", "Animation", "Children", "Comedy", "Fantasy"], ["pixar"]), imdbId: "tt0114709", tmdbId: "862" },
  product(2, "Jumanji (1995)", ["Adventure", "Children", "Fantasy"]),
  product(6, "Heat (1995)", ["Action", "Crime", "Thriller"]),
  product(10, "GoldenEye (1995)", ["Action", "Adventure", "Thriller"]),
  product(2917, "Body Heat (1981)", ["Crime", "Thriller"]),
];

describe("ProductServiceImpl", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let service: ProductServiceImpl;
  let repository: ProductRepository;
  let internal: Client<typeof ProductService>;

  beforeAll(async () => {
    db = await createTestDatabase("product_svc", PRODUCT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    repository = new ProductRepository(pool);
    await repository.upsert(FIXTURES);
    service = new ProductServiceImpl(repository, { access });
    internal = createClient(ProductService, inMemoryTransport(productRegistration({ repository, access })));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  describe("ListProducts", () => {
    it("pages with opaque tokens and reports total_size", async () => {
      const first = await service.listProducts(request({ pageSize: 2 }));
      expect(first.products.map((p) => p.productId)).toEqual(["1", "2"]);
      expect(first.totalSize).toBe(5);
      expect(first.nextPageToken).not.toBe("");
      const second = await service.listProducts(request({ pageSize: 2, pageToken: first.nextPageToken }));
      expect(second.products.map((p) => p.productId)).toEqual(["6", "10"]);
      const third = await service.listProducts(request({ pageSize: 2, pageToken: second.nextPageToken }));
      expect(third.products.map((p) => p.productId)).toEqual(["2917"]);
      expect(third.nextPageToken).toBe("");
    });

    it("uses 20 for page_size 0 and rejects out-of-range sizes naming page_size", async () => {
      const all = await service.listProducts(request({}));
      expect(all.products).toHaveLength(5);
      for (const pageSize of [-1, 101, 1000]) {
        const err = await failure(service.listProducts(request({ pageSize })));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.rawMessage).toMatch(/^page_size: must be between 1 and 100/);
      }
    });

    it("rejects foreign and mismatched page tokens naming page_token", async () => {
      for (const pageToken of ["garbage!", "eyJ4IjoxfQ", encodePageToken({ f: "nope", id: "1" })]) {
        const err = await failure(service.listProducts(request({ pageToken })));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.rawMessage).toMatch(/^page_token: /);
      }
      const comedy = await service.listProducts(request({ category: "Adventure", pageSize: 1 }));
      const err = await failure(service.listProducts(request({ category: "Crime", pageToken: comedy.nextPageToken })));
      expect(err.rawMessage).toBe("page_token: belongs to a listing with other filters");
    });

    it("filters by category case-insensitively", async () => {
      const res = await service.listProducts(request({ category: "THRILLER" }));
      expect(res.products.map((p) => p.productId)).toEqual(["6", "10", "2917"]);
      expect(res.totalSize).toBe(3);
    });

    it("finds Heat (1995) for the query 'heat' and pages ranked results", async () => {
      const res = await service.listProducts(request({ query: "heat" }));
      expect(res.products.map((p) => p.title)).toContain("Heat (1995)");
      expect(res.totalSize).toBe(2);
      const first = await service.listProducts(request({ query: "heat", pageSize: 1 }));
      const second = await service.listProducts(request({ query: "heat", pageSize: 1, pageToken: first.nextPageToken }));
      expect([...first.products, ...second.products].map((p) => p.productId).sort()).toEqual(["2917", "6"]);
      expect(second.nextPageToken).toBe("");
    });

    it("answers an empty page for a query with no lexemes", async () => {
      const res = await service.listProducts(request({ query: "the and of" }));
      expect(res.products).toEqual([]);
      expect(res.totalSize).toBe(0);
    });

    it("validates query and category length and content", async () => {
      const long = await failure(service.listProducts(request({ query: "x".repeat(257) })));
      expect(long.code).toBe(Code.InvalidArgument);
      expect(long.rawMessage).toBe("query: must be at most 256 characters, got 257");
      expect((await service.listProducts(request({ query: "heat ".repeat(51).slice(0, 256) }))).totalSize).toBe(2);
      const cat = await failure(service.listProducts(request({ category: "c".repeat(65) })));
      expect(cat.rawMessage).toMatch(/^category: must be at most 64 characters/);
      const nul = await failure(service.listProducts(request({ query: "heat\u0000" })));
      expect(nul.rawMessage).toBe("query: must not contain control characters");
    });
  });

  describe("GetProduct", () => {
    it("returns the product with its links", async () => {
      const res = await service.getProduct(create(GetProductRequestSchema, { productId: "1" }));
      expect(res.product).toMatchObject({
        productId: "1",
        title: "Toy Story (1995)",
        year: 1995,
        categories: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
        tags: ["pixar"],
        imdbId: "tt0114709",
        tmdbId: "862",
      });
    });

    it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT naming product_id for a bad one", async () => {
      const missing = await failure(service.getProduct(create(GetProductRequestSchema, { productId: "999999" })));
      expect(missing.code).toBe(Code.NotFound);
      expect(missing.rawMessage).toBe('product "999999" not found');
      for (const productId of ["", "a b", "x".repeat(129)]) {
        const bad = await failure(service.getProduct(create(GetProductRequestSchema, { productId })));
        expect(bad.code).toBe(Code.InvalidArgument);
        expect(bad.rawMessage).toMatch(/^product_id: /);
      }
    });
  });

  describe("BatchGetProducts", () => {
    it("keeps request order and leaves unknown ids out", async () => {
      const res = await internal.batchGetProducts({ productIds: ["2917", "nope", "1", "6"] }, asService);
      expect(res.products.map((p) => p.productId)).toEqual(["2917", "1", "6"]);
    });

    it("rejects more than 1000 ids and malformed ids naming product_ids", async () => {
      const many = await failure(
        internal.batchGetProducts({ productIds: Array.from({ length: 1001 }, (_, i) => String(i)) }, asService),
      );
      expect(many.code).toBe(Code.InvalidArgument);
      expect(many.rawMessage).toBe("product_ids: must hold at most 1000 ids, got 1001");
      const bad = await failure(internal.batchGetProducts({ productIds: ["1", ""] }, asService));
      expect(bad.rawMessage).toBe("product_ids[1]: is required");
    });
  });

  it("ListCategories counts products per category in name order", async () => {
    const res = await service.listCategories();
    expect(res.categories.map((c) => [c.name, c.productCount])).toEqual([
      ["Action", 2],
      ["Adventure", 3],
      ["Animation", 1],
      ["Children", 2],
      ["Comedy", 1],
      ["Crime", 2],
      ["Fantasy", 2],
      ["Thriller", 3],
    ]);
  });

  it("ListCategories answers from memory within categoriesCacheMs, sharing one count, then counts again", async () => {
    let counts = 0;
    const counting = new Proxy(repository, {
      get(target, prop, receiver) {
        if (prop === "listCategories") return () => (counts++, target.listCategories());
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const cached = new ProductServiceImpl(counting, { access, categoriesCacheMs: 150 });
    const [a, b] = await Promise.all([cached.listCategories(), cached.listCategories()]);
    expect(counts).toBe(1);
    expect(b.categories).toEqual(a.categories);
    expect((await service.listCategories()).categories.map((c) => c.name)).toEqual(a.categories.map((c) => c.name));
    await cached.listCategories();
    expect(counts).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    await cached.listCategories();
    expect(counts).toBe(2);
  });

  it("serves through the in-memory connect transport", async () => {
    const client = createClient(ProductService, inMemoryTransport(productRegistration({ repository, access })));
    const res = await client.listProducts({ query: "heat", pageSize: 1 });
    expect(res.products).toHaveLength(1);
    expect(res.totalSize).toBe(2);
    const err = await failure(client.getProduct({ productId: "404" }));
    expect(err.code).toBe(Code.NotFound);
    const bad = await failure(client.listProducts({ pageSize: 500 }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^page_size: /);
  });
});

function request(fields: { category?: string; query?: string; pageSize?: number; pageToken?: string }) {
  return create(ListProductsRequestSchema, fields);
}
