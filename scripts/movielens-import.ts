import { performance } from "node:perf_hooks";
import type pg from "pg";
import { pino, type Logger } from "pino";
import { importCatalog, type CatalogImportResult } from "../services/product/src/import/import-catalog.js";
import { PRODUCT_MIGRATIONS_DIR } from "../services/product/src/migrations-dir.js";
import { readRatingUserIds } from "../services/shared/src/movielens-csv.js";
import { resolveMovieLensDir } from "../services/shared/src/movielens.js";
import { createPool, prepareServiceDatabase } from "../services/shared/src/pg.js";
import { importUsers, type UserImportResult } from "../services/user/src/import/import-users.js";
import { USER_MIGRATIONS_DIR } from "../services/user/src/migrations-dir.js";
import { createProgressReporter, type ProgressMode, type ProgressReporter } from "./import-progress.js";

/** Default database URLs of a local `npm start` (each overridable by its environment variable). */
export const DEFAULT_DATABASE_URLS = {
  /** `PRODUCT_DATABASE_URL`. */
  product: "postgres://recsys:recsys@127.0.0.1:5432/recsys_product",
  /** `USER_DATABASE_URL`. */
  user: "postgres://recsys:recsys@127.0.0.1:5432/recsys_user",
  /** `ENGAGEMENT_DATABASE_URL`. */
  engagement: "postgres://recsys:recsys@127.0.0.1:5432/recsys_engagement",
} as const;

/** Options of {@link importMovieLens}; every field is optional. */
export interface ImportMovieLensOptions {
  /** Directory of the MovieLens CSVs; default `MOVIELENS_DIR`, else the GroupLens download (cached). */
  readonly movieLensDir?: string;
  /** Catalog database URL; default `PRODUCT_DATABASE_URL`, else {@link DEFAULT_DATABASE_URLS}.product. */
  readonly productDatabaseUrl?: string;
  /** Users database URL; default `USER_DATABASE_URL`, else {@link DEFAULT_DATABASE_URLS}.user. */
  readonly userDatabaseUrl?: string;
  /** Engagement database URL; default `ENGAGEMENT_DATABASE_URL`, else {@link DEFAULT_DATABASE_URLS}.engagement. */
  readonly engagementDatabaseUrl?: string;
  /** Receives migration and warning lines (default: silent except errors). */
  readonly logger?: Logger;
  /** How progress is shown (default: bars on a TTY, one line per stage otherwise). */
  readonly progress?: ProgressMode | ProgressReporter;
  /** Environment to read the defaults from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The import's stages, in order. */
export type ImportStage = "dataset" | "schema" | "catalog" | "users" | "ratings";

/** What {@link importMovieLens} did. */
export interface ImportMovieLensResult {
  /** The directory the CSVs were read from. */
  readonly dir: string;
  /** Catalog counts (products read, inserted, updated, unchanged). */
  readonly catalog: CatalogImportResult;
  /** Users counts (distinct rating users, accounts created). */
  readonly users: UserImportResult;
  /** Ratings counts (rows read, events inserted). */
  readonly ratings: { readonly inserted: number; readonly total: number };
  /** Wall time of each stage, in milliseconds. */
  readonly stageMs: Readonly<Record<ImportStage, number>>;
  /** Wall time of the whole import, in milliseconds. */
  readonly totalMs: number;
}

/**
 * Imports MovieLens into the three service databases, idempotently (a second run adds nothing):
 * 1. `dataset`: finds the CSVs (`resolveMovieLensDir`: MOVIELENS_DIR, else download + cache);
 * 2. `schema`: creates the product, user and engagement databases when missing (`ensureDatabase`,
 *    through each URL's server `postgres` database) and applies their migrations;
 * 3. `catalog`: movies + tags + links → products (`importCatalog`, COPY + upsert);
 * 4. `users`: the distinct userIds of ratings.csv → accounts without password (`importUsers`);
 * 5. `ratings`: ratings.csv → historic RATE events (`importRatings` of the engagement service,
 *    loaded with a dynamic import).
 *
 * For the CLI (`npm run import`) and for `npm start`, which calls it in-process.
 *
 * @param options - data directory, database URLs, logger, progress display.
 * @returns counts and per-stage timings (ms).
 * @throws Error from any stage (missing files, unreachable PostgreSQL, failed migrations); each
 *   stage's writes are transactional, so a failed stage leaves its database as it was.
 */
export async function importMovieLens(options: ImportMovieLensOptions = {}): Promise<ImportMovieLensResult> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? pino({ level: "error" });
  const urls = {
    product: options.productDatabaseUrl ?? nonEmpty(env.PRODUCT_DATABASE_URL) ?? DEFAULT_DATABASE_URLS.product,
    user: options.userDatabaseUrl ?? nonEmpty(env.USER_DATABASE_URL) ?? DEFAULT_DATABASE_URLS.user,
    engagement: options.engagementDatabaseUrl ?? nonEmpty(env.ENGAGEMENT_DATABASE_URL) ?? DEFAULT_DATABASE_URLS.engagement,
  };
  const progress =
    typeof options.progress === "object" ? options.progress : createProgressReporter(options.progress);
  const ownsProgress = typeof options.progress !== "object";
  const stageMs = {} as Record<ImportStage, number>;
  const started = performance.now();

  /** Runs one stage with its progress bar and timing. */
  async function stage<T>(
    name: ImportStage,
    unit: string,
    run: (update: (done: number, total?: number) => void) => Promise<T>,
    summarize: (result: T) => string,
  ): Promise<T> {
    const bar = progress.stage(name, unit);
    const t0 = performance.now();
    const result = await run((done, total) => bar.update(done, total));
    stageMs[name] = performance.now() - t0;
    bar.finish(summarize(result), stageMs[name]);
    return result;
  }

  const pools: pg.Pool[] = [];
  try {
    const dir = await stage(
      "dataset",
      "", // bytes while downloading; nothing to count for a local directory
      (update) => resolveMovieLensDir({ dir: options.movieLensDir, env, onDownloadProgress: update }),
      (paths) => paths.dir,
    );

    const { ENGAGEMENT_MIGRATIONS_DIR } = await import("../services/engagement/src/migrations-dir.js");
    const databases = [
      { url: urls.product, migrations: PRODUCT_MIGRATIONS_DIR },
      { url: urls.user, migrations: USER_MIGRATIONS_DIR },
      { url: urls.engagement, migrations: ENGAGEMENT_MIGRATIONS_DIR },
    ];
    await stage(
      "schema",
      "databases",
      async (update) => {
        let done = 0;
        update(0, databases.length);
        for (const db of databases) {
          await prepareServiceDatabase(db.url, db.migrations, logger);
          update(++done, databases.length);
        }
        return databases.length;
      },
      (n) => `${n} databases migrated`,
    );

    const openPool = (url: string): pg.Pool => {
      const pool = createPool(url, logger, { max: 2, statementTimeoutMs: 10 * 60_000, connectionTimeoutMs: 5_000 });
      pools.push(pool);
      return pool;
    };

    const catalog = await stage(
      "catalog",
      "products",
      (update) => importCatalog(openPool(urls.product), dir, update),
      (r) => `${r.total} products (${r.inserted} new, ${r.updated} updated)`,
    );

    const users = await stage(
      "users",
      "users",
      async (update) => {
        const ids = await readRatingUserIds(dir.ratings);
        update(0, ids.length);
        const result = await importUsers(openPool(urls.user), ids);
        update(ids.length, ids.length);
        return result;
      },
      (r) => `${r.total} users (${r.inserted} new)`,
    );

    const ratings = await stage(
      "ratings",
      "ratings",
      async (update) => {
        const { importRatings } = await import("../services/engagement/src/import/import-ratings.js");
        return importRatings(openPool(urls.engagement), dir.ratings, update);
      },
      (r) => `${r.total} ratings (${r.inserted} new)`,
    );

    return { dir: dir.dir, catalog, users, ratings, stageMs, totalMs: performance.now() - started };
  } finally {
    if (ownsProgress) progress.stop();
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
