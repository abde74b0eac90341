import { createReadStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse";

/** Size of a {@link writeMovieLensSubset} subset. */
export interface MovieLensSubsetOptions {
  /** The full MovieLens directory (movies.csv, ratings.csv, tags.csv, links.csv). */
  readonly sourceDir: string;
  /** Where the subset is written (created; an existing complete subset is reused). */
  readonly targetDir: string;
  /** Movies kept: the first `movies` rows of movies.csv (default 300). */
  readonly movies?: number;
  /** Users kept: userIds 1..`users` (default 30). */
  readonly users?: number;
}

const FILES = ["movies.csv", "ratings.csv", "tags.csv", "links.csv"] as const;

/** One CSV field, quoted as RFC 4180 requires (https://www.rfc-editor.org/rfc/rfc4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function toCsv(rows: readonly Record<string, string>[], columns: readonly string[]): string {
  const lines = [columns.join(","), ...rows.map((r) => columns.map((c) => csvField(r[c] ?? "")).join(","))];
  return lines.join("\n") + "\n";
}

async function readRows(file: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const row of createReadStream(file).pipe(parse({ columns: true }))) rows.push(row as Record<string, string>);
  return rows;
}

/**
 * Writes a small MovieLens directory (the first `movies` movies, the ratings and tags of users
 * 1..`users` on them, their links), so that a mesh for fault tests and benchmarks imports and
 * builds its models in seconds rather than a minute.
 *
 * @param options - source, target and size.
 * @returns the target directory.
 */
export async function writeMovieLensSubset(options: MovieLensSubsetOptions): Promise<string> {
  const { sourceDir, targetDir } = options;
  if (FILES.every((f) => existsSync(path.join(targetDir, f)))) return targetDir;
  mkdirSync(targetDir, { recursive: true });
  const movies = (await readRows(path.join(sourceDir, "movies.csv"))).slice(0, options.movies ?? 300);
  const movieIds = new Set(movies.map((m) => m.movieId));
  const maxUser = options.users ?? 30;
  const keep = (r: Record<string, string>): boolean => movieIds.has(r.movieId!) && Number(r.userId) <= maxUser;
  const ratings = (await readRows(path.join(sourceDir, "ratings.csv"))).filter(keep);
  const tags = (await readRows(path.join(sourceDir, "tags.csv"))).filter(keep);
  const links = (await readRows(path.join(sourceDir, "links.csv"))).filter((r) => movieIds.has(r.movieId!));
  const write = (name: string, rows: Record<string, string>[], columns: string[]): void =>
    writeFileSync(path.join(targetDir, name), toCsv(rows, columns));
  // links first, movies last: the existence check above then sees a complete subset only.
  write("links.csv", links, ["movieId", "imdbId", "tmdbId"]);
  write("tags.csv", tags, ["userId", "movieId", "tag", "timestamp"]);
  write("ratings.csv", ratings, ["userId", "movieId", "rating", "timestamp"]);
  write("movies.csv", movies, ["movieId", "title", "genres"]);
  return targetDir;
}
