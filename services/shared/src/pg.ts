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

/** Options of {@link withTransaction}. */
export interface TransactionOptions {
  /**
   * The statement that opens the transaction (default `BEGIN`), for example
   * `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
   * (https://www.postgresql.org/docs/current/sql-begin.html).
   */
  readonly begin?: string;
}

/**
 * Runs `fn` in one transaction on a client of `pool`: `BEGIN` (or `options.begin`), `fn(client)`,
 * `COMMIT`; when `fn` or the COMMIT throws, `ROLLBACK` and rethrow. The client is released in every
 * case; when the ROLLBACK itself fails (the session is broken, for example ended by a server
 * shutdown) the client is released with that error, so the pool discards it instead of handing it
 * out again.
 *
 * The transaction lasts as long as `fn`: whatever `fn` awaits (for example a Kafka acknowledgement
 * in the outbox relay) happens with the transaction and its row locks held.
 *
 * @param pool - the pool to take the client from.
 * @param fn - the work; it must use only the client it is given, and may call `SET LOCAL`.
 * @param options - the opening statement.
 * @returns what `fn` returns, once committed.
 * @throws the error of `pool.connect()`, of the BEGIN, of `fn` or of the COMMIT (after the ROLLBACK).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(options.begin ?? "BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Options of {@link openServiceDatabase}: the pool's (see {@link PoolOptions}) and how to create the database. */
export interface ServiceDatabaseOptions extends PoolOptions {
  /**
   * What a failure to create the database does (default `"fail"`): `"fail"` rejects;
   * `"warn"` logs "could not ensure the database exists" and goes on to migrate (for a role that may
   * not create databases but whose database exists already).
   */
  readonly onCreateFailure?: "fail" | "warn";
}

/**
 * Opens a service's own database at start-up, in three steps: creates it when missing
 * ({@link ensureDatabase}, through the server's `postgres` database, see {@link withDatabase}),
 * applies the pending migrations ({@link migrate}), and creates the pool ({@link createPool}).
 *
 * @param url - the service database's URL; its path names the database (letters, digits, `_`).
 * @param migrationsDir - the directory of the service's migration files.
 * @param logger - for applied migrations and the pool's connection errors.
 * @param options - pool size and timeouts, and what a failure to create the database does.
 * @returns the pool; the caller ends it at shutdown.
 * @throws Error when the database cannot be created (unless `onCreateFailure` is "warn"), or the
 *   migration's error.
 */
export async function openServiceDatabase(
  url: string,
  migrationsDir: string,
  logger: Logger,
  options: ServiceDatabaseOptions = {},
): Promise<pg.Pool> {
  const { onCreateFailure = "fail", ...poolOptions } = options;
  await prepareServiceDatabase(url, migrationsDir, logger, onCreateFailure);
  return createPool(url, logger, poolOptions);
}

/**
 * The first two steps of {@link openServiceDatabase}, for callers that open their own pools (the
 * MovieLens importer): creates the database when missing and applies the pending migrations.
 *
 * @param url - the service database's URL; its path names the database (letters, digits, `_`).
 * @param migrationsDir - the directory of the service's migration files.
 * @param logger - for applied migrations.
 * @param onCreateFailure - "fail" (default) rethrows a failure to create the database; "warn" logs it
 *   and goes on (for a role that may not create databases but whose database exists already).
 * @throws Error when the database cannot be created (unless "warn"), or the migration's error.
 */
export async function prepareServiceDatabase(
  url: string,
  migrationsDir: string,
  logger: Logger,
  onCreateFailure: "fail" | "warn" = "fail",
): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  try {
    await ensureDatabase(withDatabase(url, "postgres"), name);
  } catch (err) {
    if (onCreateFailure === "fail") throw err;
    logger.warn({ err: err instanceof Error ? err.message : err }, "could not ensure the database exists");
  }
  await migrate(url, migrationsDir, logger);
}
