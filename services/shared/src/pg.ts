import pg from "pg";
import { runner } from "node-pg-migrate";
import type { Logger } from "pino";

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Largest number of connections (default 10). */
  readonly max?: number;
  /** How long to wait for a connection before failing, in ms (default 2000), so an outage fails fast. */
  readonly connectionTimeoutMs?: number;
  /** Server-side statement timeout, in ms (default 10000). */
  readonly statementTimeoutMs?: number;
}

/**
 * Creates a PostgreSQL connection pool that fails fast when the server is down (connection
 * timeout, statement timeout) and logs, rather than crashes on, errors of idle and checked-out
 * connections (a server shutdown ends every session).
 *
 * @param url - a `postgres://user:pass@host:port/db` URL.
 * @param logger - where idle-connection errors are logged.
 * @param options - pool size and timeouts.
 */
export function createPool(url: string, logger: Logger, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (err) => logger.warn({ err: err.message }, "idle PostgreSQL connection failed"));
  // The pool listens for errors of idle clients only. A server that ends the session of a client
  // that is checked out but between queries (a shutdown, pg_terminate_backend; for example an outbox
  // batch holding its transaction while Kafka acknowledges) makes the client emit 'error' with no
  // listener, which would crash the process. Logged instead: the holder's next query fails (and is
  // answered UNAVAILABLE), and the pool discards the broken client when it is released.
  pool.on("connect", (client) => {
    client.on("error", (err) => logger.warn({ err: err.message }, "PostgreSQL connection in use failed"));
  });
  return pool;
}

/**
 * Applies a service's pending SQL migrations (node-pg-migrate, files `NNN_name.sql` with
 * `-- Up Migration` / `-- Down Migration` sections) under an advisory lock, so concurrent starts
 * are safe.
 *
 * @param url - the service database's URL.
 * @param dir - the directory of migration files.
 * @param logger - receives one line per applied migration.
 * @returns the names of the migrations applied now (empty when the schema was current).
 * @throws Error when a migration fails; it is rolled back and later ones are not run.
 */
export async function migrate(url: string, dir: string, logger: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl: url,
    dir,
    direction: "up",
    migrationsTable: "pgmigrations",
    checkOrder: true,
    singleTransaction: true,
    log: (message) => logger.debug({ migration: message }, "migration"),
  });
  for (const m of applied) logger.info({ migration: m.name }, "migration applied");
  return applied.map((m) => m.name);
}

/**
 * Creates a database if it does not exist (CREATE DATABASE cannot run in a transaction and has no
 * IF NOT EXISTS, so this checks pg_database first and tolerates a concurrent creator).
 *
 * @param adminUrl - URL of a role allowed to create databases, connected to any database.
 * @param name - the database name; letters, digits and '_' only.
 * @throws Error when the name is not a plain identifier or the server refuses.
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } catch (err) {
        if ((err as { code?: string }).code !== "42P04") throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Replaces the database name in a PostgreSQL URL.
 *
 * @param url - any PostgreSQL URL.
 * @param database - the database to point at.
 */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
