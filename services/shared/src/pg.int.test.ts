import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testInfra } from "../../../test/support/infra.js";
import { isUnavailableError } from "./errors.js";
import { createPool } from "./pg.js";

describe("createPool (real PostgreSQL)", () => {
  const { pgAdminUrl } = testInfra();
  const lines: { msg: string }[] = [];
  const logger = pino({ level: "warn" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  let pool: pg.Pool;
  let admin: pg.Client;

  beforeAll(async () => {
    pool = createPool(pgAdminUrl, logger, { max: 2 });
    admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await pool?.end();
    await admin?.end();
  });

  it("survives the server ending the session of a checked-out client between queries, then serves from a new connection", async () => {
    const client = await pool.connect();
    await client.query("BEGIN");
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    // What a server shutdown does to every session: a FATAL 57P01 sent to an idle-in-transaction client.
    await admin.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    await new Promise((r) => setTimeout(r, 200)); // an unhandled 'error' event would fail the run here
    const err: unknown = await client.query("SELECT 1").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isUnavailableError(err)).toBe(true); // so an RPC that hits it answers UNAVAILABLE, not INTERNAL
    client.release();
    expect(lines.some((l) => l.msg === "PostgreSQL connection in use failed")).toBe(true);
    const after = await pool.query<{ one: number }>("SELECT 1 AS one");
    expect(after.rows[0]!.one).toBe(1);
  });
});
