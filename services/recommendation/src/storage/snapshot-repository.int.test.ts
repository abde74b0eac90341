import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { RECOMMENDATION_MIGRATIONS_DIR } from "./migrations-dir.js";
import type { ModelSnapshot } from "../models/snapshot.js";
import { SnapshotRepository } from "./snapshot-repository.js";

const FIRST: ModelSnapshot = {
  stats: { productCount: 3, eventCount: 12, durationMs: 42 },
  neighbors: new Map([
    ["1", [{ productId: "2", score: 0.6088450986844797 }, { productId: "3", score: 1 / 3 }]],
    ["2", [{ productId: "1", score: 0.6088450986844797 }]],
    // Ids with COPY's special characters (tab, newline, backslash, non-ASCII) round-trip.
    ["weird\tid\\x", [{ productId: "new\nline é", score: 0.25 }, { productId: "2", score: 0.125 }]],
    ["3", []],
  ]),
  popularity: [
    { productId: "2", score: 0.7454545454545455, ratingCount: 2, meanRating: 4 },
    { productId: "weird\tid\\x", score: 0.1, ratingCount: 1, meanRating: 0.5 },
  ],
  itemNeighbors: new Map([
    ["2", [{ productId: "weird\tid\\x", score: 0.7071067811865475 }, { productId: "1", score: 0.5 }]],
    ["1", [{ productId: "2", score: 0.5 }]],
  ]),
};

const SECOND: ModelSnapshot = {
  stats: { productCount: 2, eventCount: 20, durationMs: 7 },
  neighbors: new Map([["9", [{ productId: "8", score: 0.5 }]]]),
  popularity: [{ productId: "9", score: 0.9, ratingCount: 10, meanRating: 4.5 }],
};

describe("SnapshotRepository (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repository: SnapshotRepository;

  beforeAll(async () => {
    db = await createTestDatabase("recommendation_snap", RECOMMENDATION_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    repository = new SnapshotRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("has no snapshot before the first build", async () => {
    expect(await repository.loadLatest()).toBeUndefined();
  });

  it("round-trips a snapshot exactly (scores, ranks, escaped ids)", async () => {
    const build = await repository.save(FIRST);
    expect(build).toMatchObject({ productCount: 3, eventCount: 12, durationMs: 42 });
    expect(build.builtAt).toBeInstanceOf(Date);
    const loaded = await repository.loadLatest();
    expect(loaded!.build).toEqual(build);
    // Products without neighbours store no rows.
    expect(loaded!.neighbors).toEqual(new Map([...FIRST.neighbors].filter(([, list]) => list.length > 0)));
    expect(loaded!.popularity).toEqual(FIRST.popularity);
    expect(loaded!.itemNeighbors).toEqual(FIRST.itemNeighbors);
    const ranks = await pool.query("SELECT neighbor_id, rank FROM content_neighbors WHERE product_id = '1' ORDER BY rank");
    expect(ranks.rows).toEqual([
      { neighbor_id: "2", rank: 1 },
      { neighbor_id: "3", rank: 2 },
    ]);
  });

  it("replaces the previous snapshot and appends a build", async () => {
    const first = (await repository.loadLatest())!.build;
    const build = await repository.save(SECOND);
    expect(build.id).toBeGreaterThan(first.id);
    const loaded = await repository.loadLatest();
    expect(loaded!.neighbors).toEqual(SECOND.neighbors);
    expect(loaded!.popularity).toEqual(SECOND.popularity);
    // A snapshot without item-KNN neighbours leaves none of the previous ones behind.
    expect(loaded!.itemNeighbors).toEqual(new Map());
    const builds = await pool.query("SELECT count(*)::int AS n FROM model_builds");
    expect(builds.rows[0].n).toBe(2);
  });

  it("keeps the old snapshot when a save fails", async () => {
    const broken: ModelSnapshot = { ...FIRST, popularity: [{ productId: "x", score: 1, ratingCount: -1, meanRating: 1 }] };
    await expect(repository.save(broken)).rejects.toThrow(/check constraint/);
    const loaded = await repository.loadLatest();
    expect(loaded!.neighbors).toEqual(SECOND.neighbors);
    expect(loaded!.popularity).toEqual(SECOND.popularity);
  });
});
