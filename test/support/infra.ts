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
  /** Drops the database (terminating its connections). */
  drop(): Promise<void>;
}

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
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
