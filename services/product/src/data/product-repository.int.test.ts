import type pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../../shared/src/pg.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { PRODUCT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { ProductRepository, type ProductCursor, type ProductRecord } from "./product-repository.js";

function product(id: number, title: string, categories: string[], tags: string[] = []): ProductRecord {
  return { productId: String(id), title, year: 1995, categories, tags, description: "", imdbId: "", tmdbId: "" };
}

const FIXTURES: ProductRecord[] = [
  product(1, "Toy Story (1995)", ["Adventure", "Animation", "Children", "Comedy", "Fantasy"], ["pixar", "fun"]),
  product(2, "Jumanji (1995)", ["Adventure", "Children", "Fantasy"]),
  product(6, "Heat (1995)", ["Action", "Crime", "Thriller"], ["Al Pacino", "heist"]),
  product(10, "GoldenEye (1995)", ["Action", "Adventure", "Thriller"]),
  product(2917, "Body Heat (1981)", ["Crime", "Thriller"]),
  product(1950, "In the Heat of the Night (1967)", ["Drama", "Mystery"]),
  product(100, "Cold Feet (1989)", ["Comedy"], ["heat wave"]),
  product(101, "Sci-Fi Test (2000)", ["Sci-Fi", "Film-Noir"]),
  // Twenty-five "Robot" movies with equal ranks, to page through ties.
  ...Array.from({ length: 25 }, (_, i) => product(200 + i, `Robot ${i} (2001)`, ["Sci-Fi"])),
];

describe("ProductRepository (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repo: ProductRepository;

  beforeAll(async () => {
    db = await createTestDatabase("product_repo", PRODUCT_MIGRATIONS_DIR);
    // createPool: the service's own pool, whose 'error' listeners keep a terminated session (the
    // database dropped or the server stopped under it) from becoming an unhandled error.
    // Timeouts 0: none, as before (pg sends no statement_timeout and waits for a connection).
    pool = createPool(db.url, pino({ level: "silent" }), { max: 4, connectionTimeoutMs: 0, statementTimeoutMs: 0 });
    repo = new ProductRepository(pool);
    expect(await repo.upsert(FIXTURES)).toBe(FIXTURES.length);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  async function collect(params: { category?: string; query?: string }, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: ProductCursor | undefined;
    for (let pageNo = 0; pageNo < 100; pageNo++) {
      const page = await repo.list({ ...params, limit, after });
      expect(page.products.length).toBeLessThanOrEqual(limit);
      ids.push(...page.products.map((p) => p.productId));
      if (!page.next) break;
      after = page.next;
    }
    return ids;
  }

  it("lists by numeric-aware id order and reports the total", async () => {
    const page = await repo.list({ limit: 5 });
    expect(page.products.map((p) => p.productId)).toEqual(["1", "2", "6", "10", "100"]);
    expect(page.totalSize).toBe(FIXTURES.length);
    expect(page.next).toEqual({ productId: "100" });
    expect(page.products[0]).toMatchObject(FIXTURES[0]!);
  });

  it("pages through everything exactly once with keyset cursors", async () => {
    const ids = await collect({}, 7);
    const expected = FIXTURES.map((p) => p.productId).sort((a, b) => a.length - b.length || a.localeCompare(b));
    expect(ids).toEqual(expected);
  });

  it("filters by category case-insensitively and exactly", async () => {
    const page = await repo.list({ category: "thriller", limit: 100 });
    expect(page.products.map((p) => p.productId)).toEqual(["6", "10", "2917"]);
    expect(page.totalSize).toBe(3);
    expect((await repo.list({ category: "Thrill", limit: 100 })).totalSize).toBe(0);
    expect((await repo.list({ category: "SCI-FI", limit: 100 })).totalSize).toBe(26);
  });

  it("finds 'heat' by full-text search, title matches ranked above tag matches", async () => {
    const page = await repo.list({ query: "heat", limit: 10 });
    const ids = page.products.map((p) => p.productId);
    expect(ids).toContain("6");
    expect(new Set(ids)).toEqual(new Set(["6", "2917", "1950", "100"]));
    expect(ids[ids.length - 1]).toBe("100"); // tag (weight B) ranks below titles (weight A)
    expect(page.totalSize).toBe(4);
  });

  it("stems and searches tags and categories", async () => {
    expect((await repo.list({ query: "heists", limit: 10 })).products.map((p) => p.productId)).toEqual(["6"]);
    expect((await repo.list({ query: "pacino", limit: 10 })).products.map((p) => p.productId)).toEqual(["6"]);
    expect((await repo.list({ query: "animation", limit: 10 })).products.map((p) => p.productId)).toEqual(["1"]);
    expect((await repo.list({ query: '"heat of the night"', limit: 10 })).products.map((p) => p.productId)).toEqual(["1950"]);
    expect((await repo.list({ query: "heat -body", limit: 10 })).products.map((p) => p.productId)).not.toContain("2917");
  });

  it("combines query and category", async () => {
    const page = await repo.list({ query: "heat", category: "crime", limit: 10 });
    expect(new Set(page.products.map((p) => p.productId))).toEqual(new Set(["6", "2917"]));
    expect(page.totalSize).toBe(2);
  });

  it("returns nothing, without an error, for a query without lexemes", async () => {
    for (const query of ["the", "!!!", "and or not", "-", '""']) {
      const page = await repo.list({ query, limit: 10 });
      expect(page).toEqual({ products: [], next: undefined, totalSize: 0 });
    }
  });

  it("pages through ranked results with ties exactly once", async () => {
    const all = (await repo.list({ query: "robot", limit: 100 })).products.map((p) => p.productId);
    expect(all).toHaveLength(25);
    expect(await collect({ query: "robot" }, 4)).toEqual(all);
    const first = await repo.list({ query: "robot", limit: 4 });
    expect(first.next?.rank).toBeGreaterThan(0);
  });

  it("gets one product, or undefined", async () => {
    expect(await repo.get("6")).toMatchObject(FIXTURES[2]!);
    expect(await repo.get("999999")).toBeUndefined();
  });

  it("batch-gets in request order, once per id, leaving unknown ids out", async () => {
    const got = await repo.batchGet(["10", "404", "1", "6", "10"]);
    expect(got.map((p) => p.productId)).toEqual(["10", "1", "6"]);
    expect(await repo.batchGet([])).toEqual([]);
  });

  it("counts categories in name order", async () => {
    const categories = await repo.listCategories();
    expect(categories.map((c) => c.name)).toEqual([
      "Action",
      "Adventure",
      "Animation",
      "Children",
      "Comedy",
      "Crime",
      "Drama",
      "Fantasy",
      "Film-Noir",
      "Mystery",
      "Sci-Fi",
      "Thriller",
    ]);
    expect(categories.find((c) => c.name === "Sci-Fi")?.productCount).toBe(26);
    expect(categories.find((c) => c.name === "Adventure")?.productCount).toBe(3);
  });

  it("keeps quotes, backslashes and commas in arrays intact", async () => {
    const odd = product(9000, 'Say "Hi" \\ (2020)', ["A,B", 'Q"uote'], ["back\\slash", "{brace}", "NULL"]);
    await repo.upsert([odd]);
    expect(await repo.get("9000")).toMatchObject(odd);
    await pool.query("DELETE FROM products WHERE product_id = '9000'");
  });
});
