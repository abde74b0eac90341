import { createReadStream } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { withTransaction } from "../../../shared/src/pg.js";

/** Header of MovieLens `ratings.csv` (https://files.grouplens.org/datasets/movielens/ml-latest-small-README.html). */
const EXPECTED_HEADER = ["userId", "movieId", "rating", "timestamp"] as const;

/** Identifiers accepted for users and movies (the API's id rules). */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** How often progress is reported, in rows. */
const PROGRESS_EVERY = 10_000;

/** Size of the text chunks handed to COPY, in characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The event_id of an imported rating: `ml:rating:<userId>:<movieId>` (a user rates a movie once in
 * MovieLens), so importing twice inserts nothing the second time. Like every event_id it is unique
 * per user: the idempotency key is (user_id, event_id).
 *
 * @param userId - MovieLens userId.
 * @param movieId - MovieLens movieId (the product id).
 */
export function ratingEventId(userId: string, movieId: string): string {
  return `ml:rating:${userId}:${movieId}`;
}

/**
 * Imports MovieLens ratings as historic RATE events into the engagement database.
 *
 * The CSV (`userId,movieId,rating,timestamp`, timestamp in seconds since the epoch) is streamed
 * through csv-parse into `COPY … FROM STDIN` (pg-copy-streams) of a temporary table, then inserted
 * with one `INSERT INTO events … SELECT … WHERE NOT EXISTS … ORDER BY timestamp ON CONFLICT (user_id,
 * event_id) DO NOTHING` (the idempotency key; rows already imported are skipped before they consume
 * a seq number), all in one transaction (all or nothing). Each row becomes: event_id `ml:rating:<userId>:<movieId>`,
 * user_id = userId, product_id = movieId, type RATE (5), value = rating, occurred_at = accepted_at =
 * the rating's timestamp. Nothing is written to the outbox: the import is history, not live
 * engagement, and must not flood the trending signal.
 *
 * @param pool - the engagement database pool (migrated).
 * @param ratingsCsvPath - path of `ratings.csv`.
 * @param onProgress - called with the rows read so far and the expected total (from a line count),
 *   every 10,000 rows and at the end.
 * @returns `inserted`: events inserted now (0 on a repeated import); `total`: rows read from the CSV.
 * @throws Error naming the line for a malformed header or row (nothing is written), or the
 *   database's error.
 */
export async function importRatings(
  pool: pg.Pool,
  ratingsCsvPath: string,
  onProgress?: (done: number, total?: number) => void,
): Promise<{ inserted: number; total: number }> {
  const expected = await countDataLines(ratingsCsvPath);
  const toCopyText = new RatingsToCopyText((done) => onProgress?.(done, expected));
  const res = await withTransaction(pool, async (client) => {
    await client.query("SET LOCAL statement_timeout = 0");
    await client.query(
      `CREATE TEMP TABLE ml_ratings_import (
         user_id text NOT NULL, product_id text NOT NULL, rating double precision NOT NULL, ts bigint NOT NULL
       ) ON COMMIT DROP`,
    );
    await pipeline(
      createReadStream(ratingsCsvPath),
      parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }),
      toCopyText,
      client.query(copyFrom("COPY ml_ratings_import (user_id, product_id, rating, ts) FROM STDIN")),
    );
    return client.query(
      `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at, accepted_at)
       SELECT 'ml:rating:' || i.user_id || ':' || i.product_id, i.user_id, i.product_id, $1, i.rating,
              to_timestamp(i.ts), to_timestamp(i.ts)
         FROM ml_ratings_import i
        WHERE NOT EXISTS (
          SELECT 1 FROM events e
           WHERE e.user_id = i.user_id AND e.event_id = 'ml:rating:' || i.user_id || ':' || i.product_id)
        ORDER BY i.ts, i.user_id, i.product_id
       ON CONFLICT (user_id, event_id) DO NOTHING`,
      [EventType.RATE],
    );
  });
  onProgress?.(toCopyText.rows, expected);
  return { inserted: res.rowCount ?? 0, total: toCopyText.rows };
}

/** Turns csv-parse records into COPY text-format lines, validating the header and every row. */
class RatingsToCopyText extends Transform {
  /** Data rows seen. */
  rows = 0;
  private line = 0;
  private buffer = "";

  constructor(private readonly progress: (done: number) => void) {
    super({ writableObjectMode: true, readableObjectMode: false });
  }

  override _transform(record: string[], _encoding: BufferEncoding, callback: TransformCallback): void {
    this.line += 1;
    if (this.line === 1) {
      if (record.length !== 4 || EXPECTED_HEADER.some((h, i) => record[i] !== h)) {
        callback(new Error(`ratings CSV: line 1: expected header ${EXPECTED_HEADER.join(",")}, got ${record.join(",")}`));
        return;
      }
      callback();
      return;
    }
    const [userId = "", movieId = "", ratingText = "", tsText = ""] = record;
    const rating = Number(ratingText);
    const ts = Number(tsText);
    if (
      !ID_PATTERN.test(userId) ||
      !ID_PATTERN.test(movieId) ||
      !(rating >= 0.5 && rating <= 5 && Number.isInteger(rating * 2)) ||
      !(Number.isSafeInteger(ts) && ts >= 0)
    ) {
      callback(new Error(`ratings CSV: line ${this.line}: malformed row ${record.join(",")}`));
      return;
    }
    this.buffer += `${userId}\t${movieId}\t${rating}\t${ts}\n`;
    this.rows += 1;
    if (this.buffer.length >= CHUNK_CHARS) this.flushBuffer();
    if (this.rows % PROGRESS_EVERY === 0) this.progress(this.rows);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.line === 0) {
      callback(new Error("ratings CSV: the file is empty"));
      return;
    }
    this.flushBuffer();
    callback();
  }

  private flushBuffer(): void {
    if (this.buffer.length === 0) return;
    this.push(this.buffer);
    this.buffer = "";
  }
}

/** Counts the data lines of a CSV (lines after the header, ignoring a final newline), for progress. */
async function countDataLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let i = chunk.indexOf(0x0a);
    while (i !== -1) {
      lines += 1;
      i = chunk.indexOf(0x0a, i + 1);
    }
    if (chunk.length > 0) last = chunk[chunk.length - 1] ?? last;
  }
  if (last !== 0x0a) lines += 1;
  return Math.max(0, lines - 1);
}
