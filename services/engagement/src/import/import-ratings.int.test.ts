import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { importRatings, ratingEventId } from "./import-ratings.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";
const RATINGS_CSV = path.join(MOVIELENS_DIR, "ratings.csv");

describe("importRatings (real PostgreSQL, real MovieLens ratings.csv)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let tmp: string;

  beforeAll(async () => {
    db = await createTestDatabase("engagement_import", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // DROP DATABASE … WITH (FORCE) at the end may terminate a connection that is still closing.
    pool.on("error", () => undefined);
    tmp = await mkdtemp(path.join(os.tmpdir(), "ratings-"));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("imports all 100,836 ratings as RATE events, without outbox rows, and reports progress", async () => {
    const progress: [number, number | undefined][] = [];
    const started = performance.now();
    const result = await importRatings(pool, RATINGS_CSV, (done, total) => progress.push([done, total]));
    const ms = performance.now() - started;
    console.info(`importRatings: ${result.inserted} rows in ${Math.round(ms)} ms`);
    expect(result).toEqual({ inserted: 100_836, total: 100_836 });
    expect(progress.at(-1)).toEqual([100_836, 100_836]);
    expect(progress.length).toBeGreaterThanOrEqual(10);

    const stats = await pool.query<{ n: string; users: string; outbox: string; types: number[]; mismatched: string }>(
      `SELECT count(*)::text AS n, count(DISTINCT user_id)::text AS users,
              (SELECT count(*) FROM outbox)::text AS outbox, array_agg(DISTINCT type) AS types,
              count(*) FILTER (WHERE accepted_at <> occurred_at)::text AS mismatched
         FROM events`,
    );
    expect(stats.rows[0]).toEqual({ n: "100836", users: "610", outbox: "0", types: [EventType.RATE], mismatched: "0" });

    // First line of ratings.csv: 1,1,4.0,964982703
    const first = await pool.query("SELECT user_id, product_id, value, occurred_at FROM events WHERE event_id = $1", [
      ratingEventId("1", "1"),
    ]);
    expect(first.rows[0]).toEqual({
      user_id: "1",
      product_id: "1",
      value: 4,
      occurred_at: new Date(964_982_703_000),
    });
    // seq follows time: the oldest rating has the smallest seq.
    const order = await pool.query<{ ok: boolean }>(
      "SELECT bool_and(ok) AS ok FROM (SELECT occurred_at >= lag(occurred_at) OVER (ORDER BY seq) AS ok FROM events) s",
    );
    expect(order.rows[0]?.ok).toBe(true);
  });

  it("is idempotent: a second run inserts nothing", async () => {
    const result = await importRatings(pool, RATINGS_CSV);
    expect(result).toEqual({ inserted: 0, total: 100_836 });
    const n = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM events");
    expect(n.rows[0]?.n).toBe("100836");
  });

  it("rejects a malformed file, naming the line, and writes nothing", async () => {
    const before = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM events");
    const badRow = path.join(tmp, "bad-row.csv");
    await writeFile(badRow, "userId,movieId,rating,timestamp\n9001,1,4.0,964982703\n9001,2,7.5,964982703\n");
    await expect(importRatings(pool, badRow)).rejects.toThrow(/line 3/);
    const badHeader = path.join(tmp, "bad-header.csv");
    await writeFile(badHeader, "user,movie,rating,ts\n9001,1,4.0,964982703\n");
    await expect(importRatings(pool, badHeader)).rejects.toThrow(/line 1: expected header/);
    const after = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM events");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});
