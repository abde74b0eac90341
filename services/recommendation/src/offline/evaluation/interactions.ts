import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";

/**
 * One implicit-feedback interaction of the offline evaluation: a user rated a product at a time.
 * Structurally an `NcfInteraction` of the NeuMF trainer, plus the rating (used only by the
 * Bayesian popularity baseline; every interaction counts as a positive).
 */
export interface RatedInteraction {
  /** The user (MovieLens userId). */
  readonly userId: string;
  /** The product (MovieLens movieId). */
  readonly productId: string;
  /** When it happened, in ms since the Unix epoch. */
  readonly timestampMs: number;
  /** The rating in stars (0.5 to 5). */
  readonly rating: number;
}

const HEADER = ["userId", "movieId", "rating", "timestamp"];
const DIGITS = /^\d+$/;

/**
 * Reads MovieLens `ratings.csv` (userId,movieId,rating,timestamp; timestamp in seconds since the
 * epoch, https://files.grouplens.org/datasets/movielens/ml-latest-small-README.html) as
 * interactions, in file order. The shared MovieLens readers do not keep timestamps, which the
 * leave-one-out split needs.
 *
 * @param dir - the directory holding `ratings.csv`.
 * @returns one interaction per row (100,836 for ml-latest-small).
 * @throws Error naming the file (and line) when it is missing, its header differs, an id is not
 *   digits, or a rating or timestamp is not a number.
 */
export async function readMovieLensInteractions(dir: string): Promise<RatedInteraction[]> {
  const file = join(dir, "ratings.csv");
  const rows = parse(await readFile(file), { bom: true, skip_empty_lines: true }) as string[][];
  const header = (rows[0] ?? []).map((h) => h.trim());
  if (header.join(",") !== HEADER.join(",")) {
    throw new Error(`${file}: expected the header ${HEADER.join(",")}, got ${header.join(",")}`);
  }
  const out: RatedInteraction[] = [];
  for (let i = 1; i < rows.length; i++) {
    const [userId = "", productId = "", rating = "", timestamp = ""] = rows[i]!.map((f) => f.trim());
    const r = Number(rating);
    const t = Number(timestamp);
    if (!DIGITS.test(userId) || !DIGITS.test(productId) || !Number.isFinite(r) || !Number.isFinite(t) || rating === "" || timestamp === "") {
      throw new Error(`${file}:${i + 1}: malformed row ${JSON.stringify(rows[i])}`);
    }
    out.push({ userId, productId, timestampMs: t * 1000, rating: r });
  }
  return out;
}
