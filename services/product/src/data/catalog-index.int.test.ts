import type pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveMovieLensDir } from "../../../shared/src/movielens.js";
import { create } from "@bufbuild/protobuf";
import { GetProductRequestSchema, ListProductsRequestSchema } from "../../../../gen/recsys/product/v1/product_service_pb.js";
import { AccessControl } from "../../../shared/src/access-control.js";
import { createPool } from "../../../shared/src/pg.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../../test/support/secrets.js";
import { ProductServiceImpl } from "../service.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { importCatalog } from "../import/import-catalog.js";
import { PRODUCT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { CatalogIndex, CatalogIndexRefresher } from "./catalog-index.js";
import { ProductRepository, type ProductCursor, type ProductPage } from "./product-repository.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";

/** A page as ids, cursor and total, for comparing the index with the database. */
const shape = (page: ProductPage | undefined) => page && { ids: page.products.map((p) => p.productId), next: page.next?.productId, total: page.totalSize };

describe("CatalogIndex against the database (ml-latest-small)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repository: ProductRepository;
  let index: CatalogIndex;

  beforeAll(async () => {
    db = await createTestDatabase("product_catalog_index", PRODUCT_MIGRATIONS_DIR);
    pool = createPool(db.url, pino({ level: "silent" }), { max: 4, connectionTimeoutMs: 0, statementTimeoutMs: 0 });
    await importCatalog(pool, await resolveMovieLensDir({ dir: MOVIELENS_DIR }));
    repository = new ProductRepository(pool);
    index = await CatalogIndex.load(repository);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("holds every product, and GetProduct's record is the database's", async () => {
    expect(index.size).toBe(9742);
    for (const id of ["1", "6", "2011", "193609"]) expect(index.get(id)).toEqual(await repository.get(id));
    expect(index.get("404404")).toBeUndefined();
  });

  it("gives the same first page, cursor and total as the database for every category, any case, and for none", async () => {
    const categories = (await repository.listCategories()).map((c) => c.name);
    expect(categories.length).toBeGreaterThan(15);
    for (const category of [undefined, ...categories, "COMEDY", "no such category"]) {
      const fromDb = await repository.list({ category, limit: 20 });
      expect(shape(index.browse(category, 20)), String(category)).toEqual(shape(fromDb));
    }
  });

  it("pages through a category exactly as the database does, and hands back an unknown cursor", async () => {
    let after: ProductCursor | undefined;
    let pages = 0;
    do {
      const fromDb = await repository.list({ category: "Film-Noir", limit: 7, after });
      const fromIndex = index.browse("Film-Noir", 7, after);
      expect(shape(fromIndex)).toEqual(shape(fromDb));
      after = fromDb.next;
      pages++;
    } while (after);
    expect(pages).toBeGreaterThan(3);
    expect(index.browse(undefined, 5, { productId: "not-in-the-catalog" })).toBeUndefined();
  });

  it("is what ProductService reads for GetProduct and ListProducts without a query; a query still asks PostgreSQL", async () => {
    const calls = { list: 0, get: 0 };
    const counting = new Proxy(repository, {
      get(target, prop, receiver) {
        if (prop === "list" || prop === "get") {
          return (...args: never[]) => (calls[prop]++, (target[prop] as (...a: never[]) => unknown).apply(target, args));
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN });
    const withIndex = new ProductServiceImpl(counting, { access, catalogIndex: { current: index } });
    const without = new ProductServiceImpl(repository, { access });
    const request = create(ListProductsRequestSchema, { category: "Comedy", pageSize: 5 });
    const first = await withIndex.listProducts(request);
    expect(first).toEqual(await without.listProducts(request));
    const second = create(ListProductsRequestSchema, { category: "Comedy", pageSize: 5, pageToken: first.nextPageToken });
    expect(await withIndex.listProducts(second)).toEqual(await without.listProducts(second));
    expect((await withIndex.getProduct(create(GetProductRequestSchema, { productId: "6" }))).product?.title).toBe("Heat (1995)");
    expect(calls).toEqual({ list: 0, get: 0 });
    await withIndex.listProducts(create(ListProductsRequestSchema, { query: "heat" }));
    expect(calls.list).toBe(1);
  });

  it("the refresher reloads after a catalog write within a poll, and steps aside while the database fails", async () => {
    const refresher = new CatalogIndexRefresher({ repository, pollIntervalMs: 50, logger: pino({ level: "silent" }) });
    await refresher.start();
    try {
      const before = refresher.current!.version;
      await repository.upsert([
        { productId: "sku-new-1", title: "A Brand New Film", year: 2026, categories: ["Film-Noir"], tags: [], description: "", imdbId: "", tmdbId: "" },
      ]);
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && refresher.current?.get("sku-new-1") === undefined) await new Promise((r) => setTimeout(r, 20));
      expect(refresher.current?.get("sku-new-1")?.title).toBe("A Brand New Film");
      expect(refresher.current?.version).not.toBe(before);
      expect(shape(refresher.current?.browse("film-noir", 500))).toEqual(shape(await repository.list({ category: "Film-Noir", limit: 500 })));
    } finally {
      refresher.stop();
    }

    let failing = true;
    const flaky = {
      catalogVersion: () => (failing ? Promise.reject(new Error("connection refused")) : repository.catalogVersion()),
      listAll: () => repository.listAll(),
    };
    const degraded = new CatalogIndexRefresher({ repository: flaky, pollIntervalMs: 30, logger: pino({ level: "silent" }) });
    await degraded.start();
    try {
      expect(degraded.current).toBeUndefined();
      failing = false;
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && degraded.current === undefined) await new Promise((r) => setTimeout(r, 20));
      expect(degraded.current?.size).toBe(9743);
    } finally {
      degraded.stop();
    }
  });
});
