/**
 * A seeded synthetic catalog in the shape of MovieLens (movies.csv, ratings.csv, tags.csv,
 * links.csv, with exactly the columns and RFC 4180 quoting of ml-latest-small), so that the
 * existing import (`npm run import`, scripts/movielens-import.ts), model build, training and mesh
 * run on catalogs of any size unchanged: the serving benchmark's `--items 100000` and
 * `--items 1000000` (bench/serving.ts).
 *
 * What is drawn, and why:
 * - **Items** `1..items` (digit ids, as MovieLens). Each has a latent taste vector q_i of
 *   {@link SYNTHETIC_LATENT_DIM} components, each N(0, 1/√d), so a user–item affinity p_u·q_i is
 *   about N(0, 1) whatever d is. Its title is 2–4 words drawn uniformly from a vocabulary of
 *   `max(100, round(items / 20))` pseudo-words (consonant–vowel syllables over a, o, u, which
 *   natural's Porter stemmer leaves as they are and which are not English stop words), so a word's
 *   document frequency stays about 60 whatever the catalog size: the content neighbour build costs
 *   Σ_t df(t)² (services/recommendation/src/models/content/neighbors.ts), which then grows
 *   linearly with the catalog instead of quadratically. One title in 20 ends in ", The" as many
 *   MovieLens titles do (which needs quoting). A year 1930–2023 follows in MovieLens' "(1999)"
 *   form. 1–3 genres of the 19 MovieLens genres (ml-latest-small's 20 values less "(no genres
 *   listed)") are the ones whose seeded genre vector g_k best matches q_i (q_i·g_k plus Gumbel
 *   noise), so genres and tastes agree as they do in real catalogs.
 * - **Popularity** is Zipf-like: items are ranked by a seeded permutation and the item of rank r
 *   is proposed with weight (r + 10)^-{@link SYNTHETIC_ZIPF_EXPONENT}.
 * - **Users** `1..users`, `users = max(500, round(items / 20))` by default, each with a latent
 *   vector p_u like the items'. A user rates `ratingsPerUser ± 5` distinct items (uniform; 15–25
 *   by default): 5× that many distinct candidates are proposed by popularity, and the ones rated
 *   are the top of β·p_u·q_i + Gumbel noise (β = 2; the Gumbel-top-k trick samples without
 *   replacement with probabilities ∝ exp(β·p_u·q_i)), so who rates what has the structure a
 *   collaborative model can learn. The rating is 3.5 + 0.9·p_u·q_i + N(0, 0.6²), rounded to the
 *   half star and clamped to 0.5–5.0. Timestamps (seconds) increase within each user: a start
 *   drawn uniformly in 2000–2022, then gaps of exponential length, mean 1 h, with one gap in ten
 *   drawn with mean 30 days (sessions), capped before 2024-01-01. A user's ratings are written in
 *   time order.
 * - **Tags**: one user in seven tags one of the items it rated with one of a few MovieLens-like
 *   tags, a minute after its rating (some tags contain a comma, so tags.csv needs quoting too).
 * - **Links**: imdbId the 7-digit zero-padded movie id, tmdbId the movie id.
 *
 * Every draw comes from {@link mulberry32} streams seeded with {@link deriveSeed}(seed, purpose),
 * so a seed (default 42) gives the same files byte for byte, and the latent factors can be drawn
 * again alone ({@link syntheticLatentFactors}) to build an untrained NeuMF artifact of the
 * catalog's shape (synthetic-neumf.ts). Files are written through buffered streams (memory: the
 * factors, 4·d bytes per item and user, and a few typed arrays per item; 1,000,000 items need
 * about 100 MB), into a temporary directory renamed into place, with `synthetic.json` describing
 * the parameters; a directory that already holds the same parameters is reused.
 */
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, type WriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { topRows } from "../../services/recommendation/src/models/ncf/neumf-scorer.js";
import { deriveSeed, mulberry32, normalSource, randomBelow, shuffleInPlace, type Prng } from "../../services/recommendation/src/models/prng.js";

/** Components of every item's and user's latent taste vector (NeuMF's default GMF size, so they can serve as GMF embeddings). */
export const SYNTHETIC_LATENT_DIM = 16;

/** The exponent s of the popularity weights (r + 10)^-s over item ranks r = 0, 1, …. */
export const SYNTHETIC_ZIPF_EXPONENT = 0.8;

/** The 19 MovieLens genres (ml-latest-small's genre values less "(no genres listed)"). */
export const MOVIELENS_GENRES = [
  "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir",
  "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
] as const;

/** Version of the generator's output; a stored directory of another version is generated again. */
const GENERATOR_VERSION = 1;

/** Tags users attach (a few contain a comma, as MovieLens tags can). */
const TAGS = [
  "funny", "dark comedy", "atmospheric", "twist ending", "classic", "visually appealing", "thought-provoking",
  "based on a book", "slow, but worth it", "predictable", "great soundtrack", "feel-good", "violent", "quirky",
  "beautiful, sad", "overrated", "cult film", "dialogue", "surreal", "family",
] as const;

const CONSONANTS = "bdfgklmnprstvz";
const VOWELS = "aou";
/** 2000-01-01T00:00:00Z and 2023-01-01, in seconds: the range of a user's first rating. */
const FIRST_RATING_FROM_S = 946_684_800;
const FIRST_RATING_TO_S = 1_672_531_200;
/** 2024-01-01T00:00:00Z in seconds: no rating is later. */
const LAST_RATING_S = 1_704_067_200;
/** Affinity scale of the rated-item choice (Gumbel top-k logits β·p·q). */
const CHOICE_BETA = 2;

/** Size of a synthetic catalog; only `items` is required. */
export interface SyntheticCatalogOptions {
  /** Products (movies), ids 1..items; an integer from 20 to 10,000,000. */
  readonly items: number;
  /** Seed of every draw (default 42); an integer ≥ 0. */
  readonly seed?: number;
  /** Users, ids 1..users (default max(500, round(items / 20))); an integer ≥ 1. */
  readonly users?: number;
  /** Mean ratings per user (default 20; each user rates this ± 5, at least 1, at most items); an integer from 1 to 1,000. */
  readonly ratingsPerUser?: number;
}

/** The complete parameters of a synthetic catalog ({@link resolveSyntheticPlan}). */
export interface SyntheticPlan {
  /** Products, ids "1".."items". */
  readonly items: number;
  /** Users, ids "1".."users". */
  readonly users: number;
  /** Mean ratings per user. */
  readonly ratingsPerUser: number;
  /** The seed. */
  readonly seed: number;
  /** Words in the title vocabulary. */
  readonly vocabulary: number;
  /** Latent dimensions ({@link SYNTHETIC_LATENT_DIM}). */
  readonly latentDim: number;
}

/** What {@link writeSyntheticCatalog} wrote (or found). */
export interface SyntheticCatalogResult {
  /** The MovieLens-shaped directory. */
  readonly dir: string;
  /** True when an existing directory with the same parameters was reused (nothing written). */
  readonly reused: boolean;
  /** The parameters. */
  readonly plan: SyntheticPlan;
  /** Rows of ratings.csv. */
  readonly ratings: number;
  /** Rows of tags.csv. */
  readonly tags: number;
  /** Distinct items with at least one rating (the items a trained NeuMF model knows). */
  readonly ratedItems: number;
  /** Latest rating time, in seconds since the Unix epoch. */
  readonly lastRatingS: number;
  /** Wall time of the generation, in ms (0 when reused). */
  readonly ms: number;
}

/**
 * Fills in the defaults of a synthetic catalog and checks every field.
 *
 * @param options - items and optional seed, users, ratings per user.
 * @returns the complete parameters.
 * @throws RangeError naming the field (`items`, `seed`, `users`, `ratingsPerUser`) when it is out of range.
 */
export function resolveSyntheticPlan(options: SyntheticCatalogOptions): SyntheticPlan {
  const int = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`synthetic catalog ${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
    return value;
  };
  const items = int("items", options.items, 20, 10_000_000);
  return {
    items,
    users: int("users", options.users ?? Math.max(500, Math.round(items / 20)), 1, 10_000_000),
    ratingsPerUser: int("ratingsPerUser", options.ratingsPerUser ?? 20, 1, 1_000),
    seed: int("seed", options.seed ?? 42, 0, 2 ** 31 - 1),
    vocabulary: Math.max(100, Math.round(items / 20)),
    latentDim: SYNTHETIC_LATENT_DIM,
  };
}

/** The latent taste vectors of a synthetic catalog, row-major `[rows × latentDim]` float32. */
export interface SyntheticFactors {
  /** Item i (id i + 1) at `items[i·d .. i·d + d)`. */
  readonly items: Float32Array;
  /** User u (id u + 1) at `users[u·d .. u·d + d)`. */
  readonly users: Float32Array;
}

/**
 * Draws the latent vectors of a synthetic catalog's items and users again (the same ones
 * {@link writeSyntheticCatalog} draws for the same plan): each component N(0, 1/√d).
 *
 * @param plan - the catalog's parameters.
 * @returns the item and user factors (4·d bytes per item and per user).
 */
export function syntheticLatentFactors(plan: SyntheticPlan): SyntheticFactors {
  const d = plan.latentDim;
  const std = 1 / Math.sqrt(Math.sqrt(d));
  const draw = (rows: number, label: string): Float32Array => {
    const normal = normalSource(mulberry32(deriveSeed(plan.seed, label)));
    const out = new Float32Array(rows * d);
    for (let i = 0; i < out.length; i++) out[i] = normal() * std;
    return out;
  };
  return { items: draw(plan.items, "synthetic:item-factors"), users: draw(plan.users, "synthetic:user-factors") };
}

/**
 * The title word of vocabulary index `w`: consonant–vowel syllables over `bdfgklmnprstvz` ×
 * `aou` (42 syllables), as many as the vocabulary needs but at least three, written as the
 * base-42 digits of `w` (so distinct indices give distinct words), capitalised.
 *
 * @param w - index in [0, vocabulary).
 * @param vocabulary - the vocabulary size (fixes the word length).
 */
export function syntheticWord(w: number, vocabulary: number): string {
  const base = CONSONANTS.length * VOWELS.length;
  let length = 3;
  while (base ** length < vocabulary) length += 1;
  let word = "";
  let rest = w;
  for (let s = 0; s < length; s++) {
    const syllable = rest % base;
    rest = Math.floor(rest / base);
    word += CONSONANTS[Math.floor(syllable / VOWELS.length)]! + VOWELS[syllable % VOWELS.length]!;
  }
  return word[0]!.toUpperCase() + word.slice(1);
}

/**
 * Writes (or reuses) a synthetic MovieLens-shaped directory: movies.csv, ratings.csv, tags.csv,
 * links.csv and synthetic.json (the plan and counts). See the module comment for what is drawn.
 * When `dir` already holds a synthetic.json with the same plan and generator version, nothing is
 * written. Otherwise everything goes to `<dir>.tmp-<pid>` first, renamed over `dir` when complete.
 *
 * @param dir - the target directory (its parent is created).
 * @param options - the catalog's size and seed.
 * @returns the directory, whether it was reused, the plan and counts, the wall time.
 * @throws RangeError from {@link resolveSyntheticPlan}; the file-system error when writing fails
 *   (the temporary directory is removed).
 */
export async function writeSyntheticCatalog(dir: string, options: SyntheticCatalogOptions): Promise<SyntheticCatalogResult> {
  const plan = resolveSyntheticPlan(options);
  const existing = readSyntheticManifest(dir);
  if (existing && samePlan(existing.plan, plan)) return { ...existing, dir, reused: true, ms: 0 };

  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const counts = await generate(tmp, plan);
    const manifest: StoredManifest = { generator: "recsys-synthetic-catalog", version: GENERATOR_VERSION, plan, ...counts };
    await writeFile(path.join(tmp, "synthetic.json"), `${JSON.stringify(manifest, null, 1)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { dir, reused: false, plan, ...counts, ms: performance.now() - started };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** synthetic.json. */
interface StoredManifest {
  readonly generator: "recsys-synthetic-catalog";
  readonly version: number;
  readonly plan: SyntheticPlan;
  readonly ratings: number;
  readonly tags: number;
  readonly ratedItems: number;
  readonly lastRatingS: number;
}

function readSyntheticManifest(dir: string): StoredManifest | undefined {
  const file = path.join(dir, "synthetic.json");
  if (!["movies.csv", "ratings.csv", "tags.csv", "links.csv"].every((f) => existsSync(path.join(dir, f))) || !existsSync(file)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(file, "utf8")) as StoredManifest;
    return manifest.generator === "recsys-synthetic-catalog" && manifest.version === GENERATOR_VERSION ? manifest : undefined;
  } catch {
    return undefined;
  }
}

function samePlan(a: SyntheticPlan, b: SyntheticPlan): boolean {
  return (Object.keys(b) as (keyof SyntheticPlan)[]).every((k) => a[k] === b[k]);
}

/** Writes the four CSV files of a plan into `dir`; returns the counts. */
async function generate(dir: string, plan: SyntheticPlan): Promise<Omit<StoredManifest, "generator" | "version" | "plan">> {
  const d = plan.latentDim;
  const factors = syntheticLatentFactors(plan);

  // links.csv: no draws.
  const links = new CsvWriter(path.join(dir, "links.csv"), "movieId,imdbId,tmdbId");
  for (let i = 1; i <= plan.items; i++) if (links.push(`${i},${String(i).padStart(7, "0")},${i}`)) await links.flush();
  await links.close();

  // movies.csv: title words, year, genres from the genre vectors.
  const genreVectors = new Float32Array(MOVIELENS_GENRES.length * d);
  const genreNormal = normalSource(mulberry32(deriveSeed(plan.seed, "synthetic:genre-vectors")));
  for (let i = 0; i < genreVectors.length; i++) genreVectors[i] = genreNormal();
  const titleRandom = mulberry32(deriveSeed(plan.seed, "synthetic:titles"));
  const genreRandom = mulberry32(deriveSeed(plan.seed, "synthetic:genres"));
  const words = Array.from({ length: plan.vocabulary }, (_, w) => syntheticWord(w, plan.vocabulary));
  const movies = new CsvWriter(path.join(dir, "movies.csv"), "movieId,title,genres");
  const genreScores = new Float64Array(MOVIELENS_GENRES.length);
  for (let i = 0; i < plan.items; i++) {
    const wordCount = 2 + randomBelow(titleRandom, 3);
    const title: string[] = [];
    for (let k = 0; k < wordCount; k++) title.push(words[randomBelow(titleRandom, plan.vocabulary)]!);
    const article = titleRandom() < 0.05 ? ", The" : "";
    const year = 1930 + randomBelow(titleRandom, 94);
    for (let g = 0; g < MOVIELENS_GENRES.length; g++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += factors.items[i * d + k]! * genreVectors[g * d + k]!;
      genreScores[g] = 1.5 * dot + gumbel(genreRandom);
    }
    const genres = topRows(genreScores, 1 + randomBelow(genreRandom, 3))
      .sort((a, b) => a - b)
      .map((g) => MOVIELENS_GENRES[g]!);
    if (movies.push(`${i + 1},${csvField(`${title.join(" ")}${article} (${year})`)},${genres.join("|")}`)) await movies.flush();
  }
  await movies.close();

  // ratings.csv and tags.csv: popularity-proposed candidates, chosen by affinity.
  const rank = new Int32Array(plan.items);
  for (let i = 0; i < plan.items; i++) rank[i] = i;
  shuffleInPlace(rank, mulberry32(deriveSeed(plan.seed, "synthetic:popularity")));
  const cumulative = new Float64Array(plan.items);
  let total = 0;
  for (let r = 0; r < plan.items; r++) cumulative[r] = total += (r + 10) ** -SYNTHETIC_ZIPF_EXPONENT;
  const proposeRandom = mulberry32(deriveSeed(plan.seed, "synthetic:candidates"));
  const chooseRandom = mulberry32(deriveSeed(plan.seed, "synthetic:choices"));
  const ratingNormal = normalSource(mulberry32(deriveSeed(plan.seed, "synthetic:ratings")));
  const timeRandom = mulberry32(deriveSeed(plan.seed, "synthetic:timestamps"));
  const tagRandom = mulberry32(deriveSeed(plan.seed, "synthetic:tags"));
  const rated = new Uint8Array(plan.items);
  const ratings = new CsvWriter(path.join(dir, "ratings.csv"), "userId,movieId,rating,timestamp");
  const tags = new CsvWriter(path.join(dir, "tags.csv"), "userId,movieId,tag,timestamp");
  let ratingRows = 0;
  let tagRows = 0;
  let lastRatingS = 0;
  const proposed = new Set<number>();
  for (let u = 0; u < plan.users; u++) {
    const want = Math.min(plan.items, Math.max(1, plan.ratingsPerUser - 5 + randomBelow(chooseRandom, 11)));
    proposed.clear();
    for (let attempt = 0; proposed.size < 5 * want && attempt < 50 * want; attempt++) {
      proposed.add(rank[lowerBound(cumulative, proposeRandom() * total)]!);
    }
    const candidates = [...proposed];
    const affinity = new Float64Array(candidates.length);
    const logits = new Float64Array(candidates.length);
    candidates.forEach((item, c) => {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += factors.users[u * d + k]! * factors.items[item * d + k]!;
      affinity[c] = dot;
      logits[c] = CHOICE_BETA * dot + gumbel(chooseRandom);
    });
    const chosen = topRows(logits, Math.min(want, candidates.length));
    let t = FIRST_RATING_FROM_S + Math.floor(timeRandom() * (FIRST_RATING_TO_S - FIRST_RATING_FROM_S));
    const times: number[] = [];
    for (let c = 0; c < chosen.length; c++) {
      if (c > 0) t += 1 + Math.floor(-Math.log(1 - timeRandom()) * (timeRandom() < 0.1 ? 30 * 86_400 : 3_600));
      times.push(Math.min(t, LAST_RATING_S - chosen.length + c));
    }
    for (let c = 0; c < chosen.length; c++) {
      const item = candidates[chosen[c]!]!;
      const stars = Math.min(5, Math.max(0.5, Math.round((3.5 + 0.9 * affinity[chosen[c]!]! + 0.6 * ratingNormal()) * 2) / 2));
      rated[item] = 1;
      lastRatingS = Math.max(lastRatingS, times[c]!);
      ratingRows += 1;
      if (ratings.push(`${u + 1},${item + 1},${stars.toFixed(1)},${times[c]!}`)) await ratings.flush();
    }
    if (tagRandom() < 1 / 7 && chosen.length > 0) {
      const c = randomBelow(tagRandom, chosen.length);
      const tag = TAGS[randomBelow(tagRandom, TAGS.length)]!;
      tagRows += 1;
      if (tags.push(`${u + 1},${candidates[chosen[c]!]! + 1},${csvField(tag)},${times[c]! + 60}`)) await tags.flush();
    }
  }
  await ratings.close();
  await tags.close();
  let ratedItems = 0;
  for (let i = 0; i < plan.items; i++) ratedItems += rated[i]!;
  return { ratings: ratingRows, tags: tagRows, ratedItems, lastRatingS };
}

/** A CSV file written through a string buffer and a write stream that respects back-pressure. */
class CsvWriter {
  private readonly stream: WriteStream;
  private buffer: string;

  constructor(file: string, header: string) {
    this.stream = createWriteStream(file);
    this.buffer = `${header}\n`;
  }

  /** Appends one line; true when the buffer should be flushed (call {@link flush}). */
  push(line: string): boolean {
    this.buffer += `${line}\n`;
    return this.buffer.length >= 256 * 1024;
  }

  async flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = "";
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "close");
  }
}

/** One CSV field, quoted as RFC 4180 requires (https://www.rfc-editor.org/rfc/rfc4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A standard Gumbel draw, −ln(−ln U). */
function gumbel(random: Prng): number {
  return -Math.log(-Math.log(1 - random() * (1 - 1e-12)));
}

/** The first index whose cumulative weight exceeds `x` (the last one if none does). */
function lowerBound(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
