import { createReadStream } from "node:fs";
import { parse } from "csv-parse";

/** One movie of MovieLens `movies.csv`. */
export interface MovieLensMovie {
  /** The MovieLens movieId, digits only, for example "1". */
  readonly movieId: string;
  /** The title as published, trimmed, year included, for example "Toy Story (1995)". */
  readonly title: string;
  /** The release year from a trailing "(1995)" in the title, or 0 when the title has none. */
  readonly year: number;
  /** The genres in file order; empty for "(no genres listed)". */
  readonly genres: readonly string[];
}

/** External identifiers of one movie from MovieLens `links.csv`. */
export interface MovieLensLink {
  /** The IMDb id, "tt" + at least 7 digits (zero-padded), or "" when unknown. */
  readonly imdbId: string;
  /** The TMDB id (digits), or "" when unknown. */
  readonly tmdbId: string;
}

/** A CSV record with its 1-based line number, for error messages. */
interface Row {
  readonly fields: Record<string, string>;
  readonly line: number;
}

const DIGITS = /^\d+$/;
const TRAILING_YEAR = /\((\d{4})(?:[-–]\d{0,4})?\)$/;
const NO_GENRES = "(no genres listed)";

/**
 * Splits a MovieLens title into its trimmed display title and release year. The year is the
 * trailing "(YYYY)" (or the first year of a range such as "(2006–2007)"); titles without one
 * (a few recent entries, for example "Babylon 5") get year 0.
 *
 * @param raw - the `title` column.
 * @returns the trimmed title (year kept in it) and the year, or 0.
 */
export function parseMovieTitle(raw: string): { title: string; year: number } {
  const title = raw.trim();
  const match = TRAILING_YEAR.exec(title);
  return { title, year: match ? Number(match[1]) : 0 };
}

/**
 * Splits the MovieLens `genres` column ("Adventure|Animation|Children") into genres, in order;
 * "(no genres listed)" and empty parts give no genre.
 *
 * @param raw - the `genres` column.
 */
export function parseGenres(raw: string): string[] {
  return raw
    .split("|")
    .map((g) => g.trim())
    .filter((g) => g !== "" && g !== NO_GENRES);
}

/**
 * Formats the `imdbId` column of links.csv ("0114709", sometimes without its leading zeros) as an
 * IMDb title id: "tt" followed by at least 7 digits, zero-padded ("tt0114709").
 *
 * @param raw - the digits of the column; "" when unknown.
 * @returns the IMDb id, or "" when the column is empty or not digits.
 */
export function formatImdbId(raw: string): string {
  const digits = raw.trim();
  return DIGITS.test(digits) ? `tt${digits.padStart(7, "0")}` : "";
}

/**
 * Reads MovieLens `movies.csv` (movieId,title,genres), streaming it through csv-parse.
 *
 * @param file - path of movies.csv.
 * @returns the movies in file order.
 * @throws Error naming the file when the header differs or a movieId is not digits (with its line).
 */
export async function readMovies(file: string): Promise<MovieLensMovie[]> {
  const movies: MovieLensMovie[] = [];
  for await (const { fields, line } of readCsv(file, ["movieId", "title", "genres"])) {
    const movieId = requireDigits(fields.movieId, file, line, "movieId");
    const { title, year } = parseMovieTitle(fields.title ?? "");
    movies.push({ movieId, title, year, genres: parseGenres(fields.genres ?? "") });
  }
  return movies;
}

/**
 * Reads MovieLens `tags.csv` (userId,movieId,tag,timestamp) into the distinct tags of each movie:
 * trimmed, empty ones dropped, deduplicated case-insensitively (the first spelling seen is kept),
 * in order of first appearance.
 *
 * @param file - path of tags.csv.
 * @returns movieId → its distinct tags.
 * @throws Error naming the file when the header differs or a movieId is not digits.
 */
export async function readTags(file: string): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>();
  const seen = new Map<string, Set<string>>();
  for await (const { fields, line } of readCsv(file, ["userId", "movieId", "tag", "timestamp"])) {
    const movieId = requireDigits(fields.movieId, file, line, "movieId");
    const tag = (fields.tag ?? "").trim();
    if (tag === "") continue;
    const key = tag.toLowerCase();
    let keys = seen.get(movieId);
    if (!keys) {
      keys = new Set();
      seen.set(movieId, keys);
      tags.set(movieId, []);
    }
    if (keys.has(key)) continue;
    keys.add(key);
    tags.get(movieId)?.push(tag);
  }
  return tags;
}

/**
 * Reads MovieLens `links.csv` (movieId,imdbId,tmdbId).
 *
 * @param file - path of links.csv.
 * @returns movieId → its IMDb id ("tt0114709") and TMDB id ("862"), "" where unknown.
 * @throws Error naming the file when the header differs or a movieId is not digits.
 */
export async function readLinks(file: string): Promise<Map<string, MovieLensLink>> {
  const links = new Map<string, MovieLensLink>();
  for await (const { fields, line } of readCsv(file, ["movieId", "imdbId", "tmdbId"])) {
    const movieId = requireDigits(fields.movieId, file, line, "movieId");
    const tmdb = (fields.tmdbId ?? "").trim();
    links.set(movieId, { imdbId: formatImdbId(fields.imdbId ?? ""), tmdbId: DIGITS.test(tmdb) ? tmdb : "" });
  }
  return links;
}

/**
 * Reads the distinct userIds of MovieLens `ratings.csv` (userId,movieId,rating,timestamp).
 *
 * @param file - path of ratings.csv.
 * @returns the distinct user ids, in ascending numeric order (610 for ml-latest-small).
 * @throws Error naming the file when the header differs or a userId is not digits.
 */
export async function readRatingUserIds(file: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const { fields, line } of readCsv(file, ["userId", "movieId", "rating", "timestamp"])) {
    ids.add(requireDigits(fields.userId, file, line, "userId"));
  }
  return [...ids].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Streams the records of a CSV file with a header row (RFC 4180 quoting, UTF-8 BOM tolerated),
 * checking that the header is exactly `columns`.
 */
async function* readCsv(file: string, columns: readonly string[]): AsyncGenerator<Row> {
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    info: true,
    columns: (header: string[]) => {
      const got = header.map((h) => h.trim());
      if (got.join(",") !== columns.join(",")) {
        throw new Error(`${file}: expected the header ${columns.join(",")}, got ${got.join(",")}`);
      }
      return got;
    },
  });
  const source = createReadStream(file);
  source.on("error", (err) => parser.destroy(err)); // pipe() does not forward errors (ENOENT)
  source.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { fields: item.record, line: item.info.lines };
    }
  } finally {
    source.destroy();
  }
}

function requireDigits(value: string | undefined, file: string, line: number, column: string): string {
  const v = (value ?? "").trim();
  if (!DIGITS.test(v)) throw new Error(`${file}:${line}: ${column} must be digits, got ${JSON.stringify(value)}`);
  return v;
}
