import pg from "pg";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createTestDatabase, testInfra } from "../../../test/support/infra.js";
import { createPool } from "./pg.js";

/** Collects the process's uncaught exceptions while `fn` runs (vitest reports them as unhandled errors). */
async function uncaughtDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (err: unknown): void => void seen.push(err);
  process.on("uncaughtException", listener);
  try {
    await fn();
    // Let the terminated sessions' error messages and socket closes arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    process.off("uncaughtException", listener);
  }
  return seen;
}

/** Drops a database at once, terminating its sessions, as the test servers' clean-up may. */
async function forceDrop(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: testInfra().pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

describe("a pool whose database is dropped (57P01, terminating connection due to administrator command)", () => {
  it("createPool: idle sessions terminated by DROP DATABASE ... WITH (FORCE) are logged, not thrown", async () => {
    const db = await createTestDatabase("pg_dropped");
    const lines: string[] = [];
    const pool = createPool(db.url, pino({ level: "warn" }, { write: (line: string) => void lines.push(line) }), { max: 3 });
    const uncaught = await uncaughtDuring(async () => {
      // Three sessions at once, all idle in the pool afterwards.
      await Promise.all([0, 1, 2].map(() => pool.query("SELECT pg_sleep(0.05)")));
      expect(pool.idleCount).toBe(3);
      await forceDrop(db.url);
    });
    expect(uncaught).toEqual([]);
    expect(lines.some((line) => line.includes("idle PostgreSQL connection failed"))).toBe(true);
    // The pool lives on: the next query fails (the database is gone) instead of the process.
    await expect(pool.query("SELECT 1")).rejects.toThrow(/does not exist/);
    await pool.end();
  });

  it("TestDatabase.drop right after pool.end() terminates no session that is still closing", async () => {
    const db = await createTestDatabase("pg_dropped");
    // A bare pool with no 'error' listener, as suites create them: a terminated session would crash.
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const uncaught = await uncaughtDuring(async () => {
      await Promise.all([0, 1, 2, 3].map(() => pool.query("SELECT pg_sleep(0.05)")));
      await pool.end(); // resolves before the four sessions have closed
      await db.drop();
    });
    expect(uncaught).toEqual([]);
  });
});
