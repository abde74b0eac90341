import { performance } from "node:perf_hooks";
import type pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveMovieLensDir, type MovieLensPaths } from "../../../shared/src/movielens.js";
import { createPool } from "../../../shared/src/pg.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { ProductRepository } from "../data/product-repository.js";
import { PRODUCT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { importCatalog } from "./import-catalog.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";

describe("importCatalog on ml-latest-small", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let dir: MovieLensPaths;

  beforeAll(async () => {
    dir = await resolveMovieLensDir({ dir: MOVIELENS_DIR });
    db = await createTestDatabase("product_import", PRODUCT_MIGRATIONS_DIR);
    // createPool: the service's own pool, whose 'error' listeners keep a terminated session (the
    // database dropped or the server stopped under it) from becoming an unhandled error.
    // Timeouts 0: none, as before (pg sends no statement_timeout and waits for a connection).
    pool = createPool(db.url, pino({ level: "silent" }), { max: 4, connectionTimeoutMs: 0, statementTimeoutMs: 0 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("loads 9,742 products, then changes nothing on a second run", async () => {
    const progress: number[] = [];
    const started = performance.now();
    const first = await importCatalog(pool, dir, (done) => progress.push(done));
    const firstMs = performance.now() - started;
    expect(first).toEqual({ total: 9742, inserted: 9742, updated: 0, unchanged: 0 });
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(9742);

    const again = performance.now();
    const second = await importCatalog(pool, dir);
    const secondMs = performance.now() - again;
    expect(second).toEqual({ total: 9742, inserted: 0, updated: 0, unchanged: 9742 });
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM products");
    expect(rows[0]?.n).toBe(9742);
    console.info(`importCatalog: first run ${firstMs.toFixed(0)} ms, second run ${secondMs.toFixed(0)} ms`);
  });

  it("stores Toy Story with its five genres, tags and links, and Heat is found by 'heat'", async () => {
    const repo = new ProductRepository(pool);
    const toyStory = await repo.get("1");
    expect(toyStory).toMatchObject({
      productId: "1",
      title: "Toy Story (1995)",
      year: 1995,
      categories: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
      imdbId: "tt0114709",
      tmdbId: "862",
    });
    expect(toyStory?.tags).toContain("pixar");
    const heat = await repo.list({ query: "heat", limit: 5 });
    expect(heat.products.map((p) => p.title)).toContain("Heat (1995)");
    const categories = await repo.listCategories();
    expect(categories).toHaveLength(19); // the 19 genres of ml-latest-small, "(no genres listed)" excluded
    expect(categories.find((c) => c.name === "Drama")?.productCount).toBe(4361);
  });

  it("updates a changed product and restores it on the next run", async () => {
    await pool.query("UPDATE products SET title = 'Changed', tags = '{}' WHERE product_id = '6'");
    const result = await importCatalog(pool, dir);
    expect(result).toEqual({ total: 9742, inserted: 0, updated: 1, unchanged: 9741 });
    expect((await new ProductRepository(pool).get("6"))?.title).toBe("Heat (1995)");
  });
});
