import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { readLinks, readMovies, readTags } from "../../../shared/src/movielens-csv.js";
import type { MovieLensPaths } from "../../../shared/src/movielens.js";
import { withTransaction } from "../../../shared/src/pg.js";

/** Counts of one {@link importCatalog} run. */
export interface CatalogImportResult {
  /** Products in movies.csv (9,742 for ml-latest-small). */
  readonly total: number;
  /** Products that were not in the catalog before. */
  readonly inserted: number;
  /** Products that existed and had a different title, year, categories, tags or links. */
  readonly updated: number;
  /** Products that existed unchanged (all of them on a second run). */
  readonly unchanged: number;
}

/**
 * Progress callback of the import: rows streamed to PostgreSQL so far, out of `total`.
 * Called at most once per 1,000 rows and once at the end.
 */
export type ImportProgress = (done: number, total?: number) => void;

/** Rows per progress report. */
const PROGRESS_EVERY = 1_000;

/**
 * Loads a MovieLens catalog into the `products` table: reads movies.csv, tags.csv and links.csv
 * (streaming csv-parse), streams the merged rows with `COPY … FROM STDIN` (pg-copy-streams) into a
 * temporary table, then upserts them with `INSERT … ON CONFLICT (product_id) DO UPDATE`, touching
 * only rows whose content changed. Everything runs in one transaction: a failure leaves the catalog
 * as it was. Idempotent: a second run inserts and updates nothing. Descriptions are left as they
 * are for existing products (MovieLens has none) and "" for new ones.
 *
 * @param pool - pool of the catalog database (migrated).
 * @param dir - the MovieLens files, from `resolveMovieLensDir()`; only movies, tags and links are read.
 * @param onProgress - optional progress callback.
 * @returns how many products were read, inserted, updated and left unchanged.
 * @throws Error from the CSV readers (naming the file) or PostgreSQL.
 */
export async function importCatalog(
  pool: pg.Pool,
  dir: Pick<MovieLensPaths, "movies" | "tags" | "links">,
  onProgress?: ImportProgress,
): Promise<CatalogImportResult> {
  const [movies, tags, links] = await Promise.all([readMovies(dir.movies), readTags(dir.tags), readLinks(dir.links)]);
  const total = movies.length;
  onProgress?.(0, total);

  const rows = await withTransaction(pool, async (client) => {
    await client.query(
      `CREATE TEMP TABLE products_import (
         product_id text PRIMARY KEY, title text NOT NULL, year integer NOT NULL,
         categories text[] NOT NULL, tags text[] NOT NULL, imdb_id text NOT NULL, tmdb_id text NOT NULL
       ) ON COMMIT DROP`,
    );
    let done = 0;
    const lines = (function* () {
      for (const movie of movies) {
        const link = links.get(movie.movieId);
        yield copyLine([
          movie.movieId,
          movie.title,
          String(movie.year),
          textArray(movie.genres),
          textArray(tags.get(movie.movieId) ?? []),
          link?.imdbId ?? "",
          link?.tmdbId ?? "",
        ]);
        done += 1;
        if (done % PROGRESS_EVERY === 0) onProgress?.(done, total);
      }
    })();
    await pipeline(
      Readable.from(lines),
      client.query(copyFrom("COPY products_import (product_id, title, year, categories, tags, imdb_id, tmdb_id) FROM STDIN")),
    );
    onProgress?.(total, total);

    const upserted = await client.query<{ inserted: boolean }>(
      `INSERT INTO products AS p (product_id, title, year, categories, tags, imdb_id, tmdb_id)
       SELECT product_id, title, year, categories, tags, imdb_id, tmdb_id FROM products_import
       ON CONFLICT (product_id) DO UPDATE SET
         title = excluded.title, year = excluded.year, categories = excluded.categories,
         tags = excluded.tags, imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id
       WHERE (p.title, p.year, p.categories, p.tags, p.imdb_id, p.tmdb_id)
             IS DISTINCT FROM (excluded.title, excluded.year, excluded.categories, excluded.tags, excluded.imdb_id, excluded.tmdb_id)
       RETURNING (xmax = 0) AS inserted`,
    );
    return upserted.rows;
  });
  const inserted = rows.filter((r) => r.inserted).length;
  const updated = rows.length - inserted;
  return { total, inserted, updated, unchanged: total - inserted - updated };
}

/**
 * Formats one row of COPY's text format: tab-separated columns, newline-terminated, with
 * backslash, tab, newline and carriage return escaped
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format").
 */
function copyLine(columns: readonly string[]): string {
  return `${columns.map(escapeCopyText).join("\t")}\n`;
}

function escapeCopyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

/**
 * Formats a PostgreSQL array literal of text elements, every element double-quoted with `"` and `\`
 * backslash-escaped (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO).
 */
function textArray(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
