import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { testInfra } from "../test/support/infra.js";
import { withDatabase } from "../services/shared/src/pg.js";
import { importMovieLens } from "./movielens-import.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";

describe("importMovieLens (all three databases)", () => {
  const { pgAdminUrl } = testInfra();
  const suffix = randomBytes(4).toString("hex");
  const names = { product: `t_mlimp_${suffix}_product`, user: `t_mlimp_${suffix}_user`, engagement: `t_mlimp_${suffix}_engagement` };
  const urls = {
    productDatabaseUrl: withDatabase(pgAdminUrl, names.product),
    userDatabaseUrl: withDatabase(pgAdminUrl, names.user),
    engagementDatabaseUrl: withDatabase(pgAdminUrl, names.engagement),
  };

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    try {
      for (const name of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it("creates the databases, imports everything, and adds nothing on a second run", async () => {
    const first = await importMovieLens({ movieLensDir: MOVIELENS_DIR, ...urls, progress: "silent", env: {} });
    expect(first.catalog).toEqual({ total: 9742, inserted: 9742, updated: 0, unchanged: 0 });
    expect(first.users).toEqual({ total: 610, inserted: 610 });
    expect(first.ratings).toEqual({ total: 100836, inserted: 100836 });
    expect(Object.keys(first.stageMs).sort()).toEqual(["catalog", "dataset", "ratings", "schema", "users"]);
    console.info(`importMovieLens: ${JSON.stringify(Object.fromEntries(Object.entries(first.stageMs).map(([k, v]) => [k, Math.round(v)])))}, total ${Math.round(first.totalMs)} ms`);

    const second = await importMovieLens({ movieLensDir: MOVIELENS_DIR, ...urls, progress: "silent", env: {} });
    expect(second.catalog.inserted + second.catalog.updated).toBe(0);
    expect(second.users.inserted).toBe(0);
    expect(second.ratings).toEqual({ total: 100836, inserted: 0 });
  });

  it("names the missing file of a bad MovieLens directory before touching any database", async () => {
    await expect(
      importMovieLens({ movieLensDir: "/nonexistent/movielens", progress: "silent", env: {}, productDatabaseUrl: "postgres://x@127.0.0.1:1/x" }),
    ).rejects.toThrow(/MOVIELENS_DIR \/nonexistent\/movielens is not a directory/);
  });
});
