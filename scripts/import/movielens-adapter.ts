import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PRODUCT_LIMITS } from "../../services/product/src/validation/product-validation.js";
import { readLinks, readMovies, readRatingUserIds, readTags } from "../../services/shared/src/movielens-csv.js";
import type { MovieLensPaths } from "../../services/shared/src/movielens.js";
import { REPO_ROOT } from "../infra/paths.js";
import type { ProgressMode } from "../import-progress.js";
import { readMappingFile, type ImportKind } from "./field-mapping.js";
import { createBatchSender } from "./import-target.js";
import { runImport, type ImportSummary } from "./run-import.js";

/**
 * The mapping of MovieLens ratings.csv to RATE events: the event id is the one the fast COPY import
 * gives (`ml:rating:<userId>:<movieId>`, services/engagement/src/import/import-ratings.ts), so either
 * path after the other adds nothing.
 */
export const MOVIELENS_RATINGS_MAPPING = path.join(REPO_ROOT, "scripts", "import", "mappings", "movielens-ratings.yaml");

/** Options of {@link importMovieLensViaRpc}. */
export interface MovieLensRpcOptions {
  /** The MovieLens CSVs. */
  readonly paths: MovieLensPaths;
  /** gRPC target of each kind (`host:port`; Envoy's address serves all three). */
  readonly targets: Readonly<Record<ImportKind, string>>;
  /** The service token. */
  readonly token: string;
  /** Deadline of each call, in milliseconds. */
  readonly timeoutMs: number;
  /** Rows per batch, 1 to 1000. */
  readonly batchSize: number;
  /** Batches in flight at once (default 2, see `RunImportOptions.concurrency`). */
  readonly concurrency?: number;
  /** Folder of the prepared products and users files and of the checkpoints. */
  readonly workDir: string;
  /** Continue an interrupted import (default true). */
  readonly resume?: boolean;
  /** How progress is shown. */
  readonly progress?: ProgressMode;
}

/**
 * The MovieLens adapter of the file importer: the same pipeline as `npm run import -- products|users|events`
 * through the public batch RPCs, for a mesh that is reached only over the network. It writes
 * `products.jsonl` (movies.csv joined with tags.csv and links.csv, as the COPY import joins them:
 * title with its year, genres as categories, distinct tags, IMDb and TMDB ids; the API takes at most
 * 50 tags, so a movie with more keeps its first 50 in tags.csv order — in ml-latest-small only Pulp
 * Fiction, 173 —, where the COPY import keeps all) and `users.jsonl`
 * (each distinct rating userId as account "movielens_<id>" without email) into `workDir`, rewritten
 * only when their content changes (so an interrupted import's checkpoint stays valid), then imports
 * products, users and ratings.csv (with {@link MOVIELENS_RATINGS_MAPPING}) in that order.
 *
 * @param options - files, targets, token and limits.
 * @returns one summary per kind, in import order.
 * @throws as `runImport` (ImportUnavailableError when a target is down); Error naming a MovieLens file
 *   with a bad row.
 */
export async function importMovieLensViaRpc(options: MovieLensRpcOptions): Promise<ImportSummary[]> {
  mkdirSync(options.workDir, { recursive: true });
  const [movies, tags, links, userIds] = await Promise.all([
    readMovies(options.paths.movies),
    readTags(options.paths.tags),
    readLinks(options.paths.links),
    readRatingUserIds(options.paths.ratings),
  ]);
  const productsFile = path.join(options.workDir, "products.jsonl");
  writeIfChanged(
    productsFile,
    movies.map((m) =>
      JSON.stringify({
        product_id: m.movieId,
        title: m.title,
        year: m.year,
        categories: m.genres,
        tags: (tags.get(m.movieId) ?? []).slice(0, PRODUCT_LIMITS.tags),
        imdb_id: links.get(m.movieId)?.imdbId ?? "",
        tmdb_id: links.get(m.movieId)?.tmdbId ?? "",
      }),
    ),
  );
  const usersFile = path.join(options.workDir, "users.jsonl");
  writeIfChanged(
    usersFile,
    userIds.map((id) => JSON.stringify({ user_id: id, username: `movielens_${id}` })),
  );
  const runs: { kind: ImportKind; file: string; mappingFile?: string }[] = [
    { kind: "products", file: productsFile },
    { kind: "users", file: usersFile },
    { kind: "events", file: options.paths.ratings, mappingFile: MOVIELENS_RATINGS_MAPPING },
  ];
  const summaries: ImportSummary[] = [];
  for (const run of runs) {
    summaries.push(
      await runImport({
        kind: run.kind,
        file: run.file,
        mapping: run.mappingFile ? readMappingFile(run.mappingFile, run.kind) : {},
        sender: createBatchSender(run.kind, { target: options.targets[run.kind], token: options.token, timeoutMs: options.timeoutMs }),
        batchSize: options.batchSize,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        checkpointDir: path.join(options.workDir, "checkpoints"),
        ...(options.resume !== undefined ? { resume: options.resume } : {}),
        ...(options.progress ? { progress: options.progress } : {}),
      }),
    );
  }
  return summaries;
}

/** Writes lines to a file through a temporary file, unless the file already holds exactly them. */
function writeIfChanged(file: string, lines: readonly string[]): void {
  const text = lines.length ? `${lines.join("\n")}\n` : "";
  const digest = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");
  if (existsSync(file) && digest(readFileSync(file)) === digest(text)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
