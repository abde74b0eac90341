import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRatingUserIds } from "../../../shared/src/movielens-csv.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { UserRepository } from "../data/user-repository.js";
import { USER_MIGRATIONS_DIR } from "../migrations-dir.js";
import { importUsers } from "./import-users.js";

const RATINGS = `${process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small"}/ratings.csv`;

describe("importUsers", () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase("user_import", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("creates the 610 MovieLens users of ratings.csv once, without passwords", async () => {
    const ids = await readRatingUserIds(RATINGS);
    expect(ids).toHaveLength(610);
    expect(await importUsers(pool, ids)).toEqual({ total: 610, inserted: 610 });
    expect(await importUsers(pool, [...ids, ...ids])).toEqual({ total: 610, inserted: 0 });
    const repo = new UserRepository(pool);
    expect(await repo.get("42")).toMatchObject({ userId: "42", username: "movielens_42", email: "" });
    expect((await repo.findCredentials("MOVIELENS_42"))?.passwordHash).toBeNull();
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE password_hash IS NOT NULL");
    expect(rows[0]?.n).toBe(0);
  });

  it("refuses ids that are not MovieLens ids, writing nothing", async () => {
    await expect(importUsers(pool, ["1000", "x'; DROP TABLE users; --"])).rejects.toThrow(/is not 1 to 18 digits/);
    expect(await new UserRepository(pool).get("1000")).toBeUndefined();
  });
});
