import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { ensureDatabase, migrate, withDatabase } from "../../services/shared/src/pg.js";

/** Connection details of the real servers the test run was given (see test/global-setup.ts). */
export interface TestInfra {
  /** URL of a superuser connected to the `postgres` database. */
  readonly pgAdminUrl: string;
  /** URL of the Redis server. */
  readonly redisUrl: string;
  /** Kafka bootstrap brokers, `host:port`. */
  readonly kafkaBrokers: string[];
}

/**
 * Returns the test servers' addresses from `RECSYS_TEST_PG_URL`, `RECSYS_TEST_REDIS_URL` and
 * `RECSYS_TEST_KAFKA_BROKERS`.
 *
 * @throws Error naming the missing variable: a suite that needs a server fails, never skips.
 */
export function testInfra(): TestInfra {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\` (its global setup starts the servers)`);
    return value;
  };
  return {
    pgAdminUrl: need("RECSYS_TEST_PG_URL"),
    redisUrl: need("RECSYS_TEST_REDIS_URL"),
    kafkaBrokers: need("RECSYS_TEST_KAFKA_BROKERS").split(","),
  };
}

/** A throwaway database for one suite. */
export interface TestDatabase {
  /** URL of the new database. */
  readonly url: string;
  /**
   * Drops the database. Waits first (up to {@link DROP_GRACE_MS}) for the sessions still connected
   * to it to end: `pool.end()` resolves before its connections have closed, and a forced drop that
   * terminates a closing session makes its client emit 57P01 ("terminating connection due to
   * administrator command"), an unhandled error for a pool without an 'error' listener. Sessions
   * still open after the wait are terminated (`WITH (FORCE)`).
   */
  drop(): Promise<void>;
}

/** How long {@link TestDatabase.drop} waits for the database's sessions to end before forcing, in ms. */
export const DROP_GRACE_MS = 5_000;

/**
 * Creates a fresh database named `t_<prefix>_<random>` on the test PostgreSQL server and applies a
 * service's migrations to it.
 *
 * @param prefix - a short label, letters and '_' only, for example "product".
 * @param migrationsDir - the service's migrations directory; omit for an empty database.
 */
export async function createTestDatabase(prefix: string, migrationsDir?: string): Promise<TestDatabase> {
  const { pgAdminUrl } = testInfra();
  const name = `t_${prefix}_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(pgAdminUrl, name);
  const url = withDatabase(pgAdminUrl, name);
  if (migrationsDir) await migrate(url, migrationsDir, pino({ level: "silent" }));
  return {
    url,
    async drop() {
      const client = new pg.Client({ connectionString: pgAdminUrl });
      await client.connect();
      try {
        const deadline = Date.now() + DROP_GRACE_MS;
        for (;;) {
          const open = await client.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [name],
          );
          if ((open.rows[0]?.n ?? 0) === 0 || Date.now() > deadline) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
