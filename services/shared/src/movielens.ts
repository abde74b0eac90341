import { createWriteStream, existsSync } from "node:fs";
import { access, mkdir, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import yauzl from "yauzl";

/** The official download of MovieLens `ml-latest-small` (GroupLens; licence in its README.txt). */
export const MOVIELENS_SMALL_URL = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip";

/** The CSV files a MovieLens directory must hold. */
export const MOVIELENS_FILES = ["movies.csv", "ratings.csv", "tags.csv", "links.csv"] as const;

/** Name of one required MovieLens CSV file. */
export type MovieLensFile = (typeof MOVIELENS_FILES)[number];

/** Absolute paths of the four MovieLens CSV files of one directory. */
export interface MovieLensPaths {
  /** The directory holding the files. */
  readonly dir: string;
  /** `movies.csv`: movieId,title,genres. */
  readonly movies: string;
  /** `ratings.csv`: userId,movieId,rating,timestamp. */
  readonly ratings: string;
  /** `tags.csv`: userId,movieId,tag,timestamp. */
  readonly tags: string;
  /** `links.csv`: movieId,imdbId,tmdbId. */
  readonly links: string;
}

/** Options of {@link resolveMovieLensDir}. */
export interface ResolveMovieLensOptions {
  /**
   * A directory that already holds the CSV files; when set nothing is downloaded. Defaults to the
   * `MOVIELENS_DIR` environment variable; pass "" to ignore the variable.
   */
  readonly dir?: string;
  /**
   * Where downloads are cached; the dataset is extracted to `<cacheDir>/data/ml-latest-small`.
   * Defaults to `RECSYS_HOME`, else `~/.cache/recsys`.
   */
  readonly cacheDir?: string;
  /** The zip to download (default {@link MOVIELENS_SMALL_URL}). */
  readonly url?: string;
  /** Called while downloading with bytes received so far and the total when the server sent one. */
  readonly onDownloadProgress?: (receivedBytes: number, totalBytes?: number) => void;
  /** Environment to read `MOVIELENS_DIR` and `RECSYS_HOME` from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Finds the MovieLens CSV files: the directory named by `options.dir` / `MOVIELENS_DIR` when set
 * (nothing downloaded), else the cached extraction of the official zip, downloading and extracting
 * it on first use (`<cacheDir>/data/ml-latest-small.zip` → `<cacheDir>/data/ml-latest-small/`).
 * Extraction goes to a temporary directory renamed into place, so an interrupted run never leaves
 * a half-extracted cache behind.
 *
 * @param options - directory, cache location, URL, progress callback.
 * @returns the paths of the four CSV files.
 * @throws Error naming the directory and the missing file when a given directory lacks one of
 *   {@link MOVIELENS_FILES}; Error with the HTTP status when the download fails; Error naming the
 *   file when the zip lacks one.
 */
export async function resolveMovieLensDir(options: ResolveMovieLensOptions = {}): Promise<MovieLensPaths> {
  const env = options.env ?? process.env;
  const given = options.dir ?? env.MOVIELENS_DIR ?? "";
  if (given !== "") {
    const dir = path.resolve(given);
    await assertMovieLensDir(dir, "MOVIELENS_DIR");
    return movieLensPaths(dir);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const dataDir = path.join(cacheDir, "data");
  const dir = path.join(dataDir, "ml-latest-small");
  if (await hasAllFiles(dir)) return movieLensPaths(dir);

  await mkdir(dataDir, { recursive: true });
  const zipPath = path.join(dataDir, "ml-latest-small.zip");
  if (!(await exists(zipPath))) {
    await downloadFile(options.url ?? MOVIELENS_SMALL_URL, zipPath, options.onDownloadProgress);
  }
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await extractMovieLensZip(zipPath, staging);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    await rm(zipPath, { force: true }); // a bad zip is fetched again next time
    throw err;
  }
  return movieLensPaths(dir);
}

/**
 * The default cache root: `RECSYS_HOME` when set, else `~/.cache/recsys`.
 *
 * @param env - environment to read (default `process.env`).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RECSYS_HOME && env.RECSYS_HOME !== "" ? env.RECSYS_HOME : path.join(homedir(), ".cache", "recsys");
}

/** The repository root (three levels above this file, services/shared/src). */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The MovieLens directory to use when none is given: `MOVIELENS_DIR` when set, else a
 * `ml-latest-small` copy in `../shared/data/` beside the checkout when it holds `ratings.csv` (as on
 * the project's build machines, which have no internet), else undefined (the importer then
 * downloads the official GroupLens zip once and caches it, see {@link resolveMovieLensDir}).
 *
 * @param env - environment to read (default `process.env`).
 * @returns an absolute or `MOVIELENS_DIR`-given directory, or undefined.
 */
export function defaultMovieLensDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MOVIELENS_DIR) return env.MOVIELENS_DIR;
  const sibling = path.resolve(REPO_ROOT, "..", "shared", "data", "ml-latest-small");
  return existsSync(path.join(sibling, "ratings.csv")) ? sibling : undefined;
}

/**
 * Checks that a directory holds every file of {@link MOVIELENS_FILES}.
 *
 * @param dir - the directory to check.
 * @param label - how to name the directory in the error, for example "MOVIELENS_DIR".
 * @throws Error `"<label> <dir> has no movies.csv (expected movies.csv, ratings.csv, tags.csv, links.csv)"`
 *   for the first missing file, or `"<label> <dir> is not a directory"`.
 */
export async function assertMovieLensDir(dir: string, label = "MovieLens directory"): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${label} ${dir} is not a directory`);
  for (const file of MOVIELENS_FILES) {
    if (!(await exists(path.join(dir, file)))) {
      throw new Error(`${label} ${dir} has no ${file} (expected ${MOVIELENS_FILES.join(", ")})`);
    }
  }
}

/**
 * Extracts the MovieLens CSV files (and README.txt when present) of a GroupLens zip into a
 * directory, flattening the zip's top folder (`ml-latest-small/movies.csv` → `<dest>/movies.csv`).
 * Only those known file names are written, so hostile entry names cannot escape `dest`.
 *
 * @param zipPath - the zip file.
 * @param dest - the directory to create and fill.
 * @throws Error naming the zip and the file when one of {@link MOVIELENS_FILES} is missing from it;
 *   yauzl's errors for a corrupt zip.
 */
export async function extractMovieLensZip(zipPath: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const wanted = new Set<string>([...MOVIELENS_FILES, "README.txt"]);
  const found = new Set<string>();
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, file) => (err ? reject(err) : resolve(file))),
  );
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      zip.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    zip.on("error", fail);
    zip.on("end", () => resolve());
    zip.on("entry", (entry: yauzl.Entry) => {
      const base = path.posix.basename(entry.fileName);
      if (entry.fileName.endsWith("/") || !wanted.has(base) || found.has(base)) {
        zip.readEntry();
        return;
      }
      found.add(base);
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err);
        pipeline(stream, createWriteStream(path.join(dest, base))).then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
  for (const file of MOVIELENS_FILES) {
    if (!found.has(file)) throw new Error(`MovieLens zip ${zipPath} has no ${file}`);
  }
}

/**
 * Downloads a URL to a file (through `<file>.part`, renamed when complete).
 *
 * @param url - the http(s) URL.
 * @param file - the destination path.
 * @param onProgress - called with bytes received and the Content-Length when known.
 * @throws Error `"download of <url> failed: HTTP <status>"` on a non-2xx answer; Error naming the
 *   URL, the network failure and MOVIELENS_DIR when the server cannot be reached (60 s timeout).
 */
export async function downloadFile(
  url: string,
  file: string,
  onProgress?: (receivedBytes: number, totalBytes?: number) => void,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new Error(`download of ${url} failed (${cause}); set MOVIELENS_DIR to a local copy of ml-latest-small`, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new Error(`download of ${url} failed: HTTP ${response.status}`);
  }
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      onProgress?.(received, total);
      callback(null, chunk);
    },
  });
  const part = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), counter, createWriteStream(part));
    await rename(part, file);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

function movieLensPaths(dir: string): MovieLensPaths {
  return {
    dir,
    movies: path.join(dir, "movies.csv"),
    ratings: path.join(dir, "ratings.csv"),
    tags: path.join(dir, "tags.csv"),
    links: path.join(dir, "links.csv"),
  };
}

async function hasAllFiles(dir: string): Promise<boolean> {
  for (const file of MOVIELENS_FILES) if (!(await exists(path.join(dir, file)))) return false;
  return true;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
