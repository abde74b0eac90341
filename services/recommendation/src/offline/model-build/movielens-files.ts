import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Engagement } from "../../../../shared/src/event-kinds.js";
import type { CatalogProduct } from "../../models/catalog.js";
import type { CatalogSource, InteractionSource } from "./sources.js";

/**
 * Reads the catalog straight from a MovieLens directory (`movies.csv` and `tags.csv`, format of
 * https://files.grouplens.org/datasets/movielens/ml-latest-small-README.html), the way the
 * product service imports it: genres split on '|' ("(no genres listed)" becomes no category),
 * tags trimmed and de-duplicated case-insensitively (first spelling kept). For offline builds,
 * benchmarks and tests; the service itself reads the catalog from ProductService.
 *
 * @param dir - the directory holding the CSV files.
 * @returns the movies in file order (increasing movieId).
 * @throws Error when a file is missing or malformed.
 */
export async function readMovieLensCatalog(dir: string): Promise<CatalogProduct[]> {
  const movies = parse(await readFile(join(dir, "movies.csv")), { columns: true, skip_empty_lines: true }) as {
    movieId: string;
    title: string;
    genres: string;
  }[];
  const tagRows = parse(await readFile(join(dir, "tags.csv")), { columns: true, skip_empty_lines: true }) as {
    movieId: string;
    tag: string;
  }[];
  const tagsByMovie = new Map<string, Map<string, string>>();
  for (const row of tagRows) {
    const tag = row.tag.trim();
    if (tag === "") continue;
    let tags = tagsByMovie.get(row.movieId);
    if (!tags) tagsByMovie.set(row.movieId, (tags = new Map()));
    if (!tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag);
  }
  return movies.map((m) => ({
    productId: m.movieId,
    title: m.title.trim(),
    categories: m.genres === "(no genres listed)" ? [] : m.genres.split("|"),
    tags: [...(tagsByMovie.get(m.movieId)?.values() ?? [])],
    description: "",
  }));
}

/**
 * Reads `ratings.csv` of a MovieLens directory as "rate" engagements, in file order.
 *
 * @param dir - the directory holding `ratings.csv`.
 * @throws Error when the file is missing or malformed.
 */
export async function readMovieLensRatings(dir: string): Promise<Engagement[]> {
  const rows = parse(await readFile(join(dir, "ratings.csv")), { columns: true, skip_empty_lines: true }) as {
    userId: string;
    movieId: string;
    rating: string;
  }[];
  return rows.map((r) => ({ userId: r.userId, productId: r.movieId, kind: "rate", value: Number(r.rating) }));
}

/** A {@link CatalogSource} over an in-memory array, in pages of `pageSize` products (default 100). */
export function arrayCatalogSource(products: readonly CatalogProduct[], pageSize = 100): CatalogSource {
  return {
    async *pages() {
      for (let i = 0; i < products.length; i += pageSize) yield products.slice(i, i + pageSize);
    },
  };
}

/** An {@link InteractionSource} over an in-memory array, in pages of `pageSize` events (default 5000). */
export function arrayInteractionSource(events: readonly Engagement[], pageSize = 5_000): InteractionSource {
  return {
    async *pages() {
      for (let i = 0; i < events.length; i += pageSize) yield events.slice(i, i + pageSize);
    },
  };
}
