import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Neighbor } from "../models/content/neighbors.js";
import { compareIds } from "../../../shared/src/ids.js";
import { withTransaction } from "../../../shared/src/pg.js";
import type { ItemPopularity } from "../models/popularity.js";
import type { ModelBuildInfo, ModelSnapshot } from "../models/snapshot.js";

/** A snapshot as loaded from the database, with the build it came from. */
export interface StoredSnapshot extends ModelSnapshot {
  /** The `model_builds` row of the snapshot. */
  readonly build: ModelBuildInfo;
}

/** Rows per chunk written to a COPY stream. */
const COPY_CHUNK_ROWS = 2_000;

/**
 * Stores and loads the model snapshot in the recommendation database (tables `content_neighbors`,
 * `item_popularity`, `model_builds`; see migrations/001_model_snapshot.sql).
 */
export class SnapshotRepository {
  /** @param pool - a pool on the recommendation database (migrated). */
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Replaces the stored snapshot atomically: in one transaction, empties `content_neighbors` and
   * `item_popularity`, bulk-loads the new rows with `COPY … FROM STDIN` (text format), and
   * appends a `model_builds` row. Readers see either the old snapshot or the new one; a failure
   * leaves the old one in place.
   *
   * @param snapshot - the snapshot to store.
   * @returns the new `model_builds` row.
   * @throws the PostgreSQL error when the write fails (the transaction is rolled back).
   */
  async save(snapshot: ModelSnapshot): Promise<ModelBuildInfo> {
    const { stats } = snapshot;
    const row = await withTransaction(this.pool, async (client) => {
      await client.query("SET LOCAL statement_timeout = '300s'");
      // TRUNCATE takes an ACCESS EXCLUSIVE lock until commit, so concurrent loads wait for the
      // new snapshot instead of reading a half-written one.
      await client.query("TRUNCATE content_neighbors, item_popularity");
      await copyRows(client, "COPY content_neighbors (product_id, neighbor_id, score, rank) FROM STDIN", neighborRows(snapshot.neighbors));
      await copyRows(client, "COPY item_popularity (product_id, score, rating_count, mean_rating) FROM STDIN", popularityRows(snapshot.popularity));
      const res = await client.query<{ id: string; built_at: Date }>(
        "INSERT INTO model_builds (product_count, event_count, duration_ms) VALUES ($1, $2, $3) RETURNING id, built_at",
        [stats.productCount, stats.eventCount, Math.round(stats.durationMs)],
      );
      return res.rows[0]!;
    });
    return { ...stats, id: Number(row.id), builtAt: row.built_at };
  }

  /**
   * Loads the latest stored snapshot, in one repeatable-read transaction so the three tables are
   * read consistently.
   *
   * @returns the snapshot, or undefined when no build has been stored yet.
   * @throws the PostgreSQL error when the read fails.
   */
  async loadLatest(): Promise<StoredSnapshot | undefined> {
    return withTransaction(this.pool, async (client): Promise<StoredSnapshot | undefined> => {
      await client.query("SET LOCAL statement_timeout = '120s'");
      const builds = await client.query<{ id: string; built_at: Date; product_count: number; event_count: string; duration_ms: number }>(
        "SELECT id, built_at, product_count, event_count, duration_ms FROM model_builds ORDER BY id DESC LIMIT 1",
      );
      const b = builds.rows[0];
      if (!b) return undefined;
      const neighborRes = await client.query<[string, string, number]>({
        text: "SELECT product_id, neighbor_id, score FROM content_neighbors ORDER BY product_id, rank",
        rowMode: "array",
      });
      const neighbors = new Map<string, Neighbor[]>();
      for (const [productId, neighborId, score] of neighborRes.rows) {
        let list = neighbors.get(productId);
        if (!list) neighbors.set(productId, (list = []));
        list.push({ productId: neighborId, score });
      }
      const popularityRes = await client.query<[string, number, number, number]>({
        text: "SELECT product_id, score, rating_count, mean_rating FROM item_popularity",
        rowMode: "array",
      });
      const popularity: ItemPopularity[] = popularityRes.rows.map(([productId, score, ratingCount, meanRating]) => ({
        productId,
        score,
        ratingCount,
        meanRating,
      }));
      // Same order as computePopularity: best first, ties by id (numeric ids numerically).
      popularity.sort((a, b) => b.score - a.score || compareIds(a.productId, b.productId));
      const build: ModelBuildInfo = {
        id: Number(b.id),
        builtAt: b.built_at,
        productCount: b.product_count,
        eventCount: Number(b.event_count),
        durationMs: b.duration_ms,
      };
      return { build, stats: build, neighbors, popularity };
    }, { begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" });
  }
}

/** Streams text-format COPY rows (already escaped lines) into a COPY … FROM STDIN statement. */
async function copyRows(client: pg.PoolClient, sql: string, rows: Iterable<string>): Promise<void> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunked(rows)), stream);
}

/** Joins lines into chunks of {@link COPY_CHUNK_ROWS} so the stream moves few large buffers. */
function* chunked(lines: Iterable<string>): Generator<string> {
  let buffer: string[] = [];
  for (const line of lines) {
    buffer.push(line);
    if (buffer.length >= COPY_CHUNK_ROWS) {
      yield buffer.join("");
      buffer = [];
    }
  }
  if (buffer.length > 0) yield buffer.join("");
}

function* neighborRows(neighbors: ReadonlyMap<string, readonly Neighbor[]>): Generator<string> {
  for (const [productId, list] of neighbors) {
    const id = copyText(productId);
    for (let rank = 0; rank < list.length; rank++) {
      const n = list[rank]!;
      yield `${id}\t${copyText(n.productId)}\t${n.score}\t${rank + 1}\n`;
    }
  }
}

function* popularityRows(items: readonly ItemPopularity[]): Generator<string> {
  for (const p of items) yield `${copyText(p.productId)}\t${p.score}\t${p.ratingCount}\t${p.meanRating}\n`;
}

/**
 * Escapes a value for COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Text Format"): backslash, tab, newline and carriage return become backslash sequences.
 */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}
