import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
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
 * `item_neighbors`, `item_popularity`, `model_builds`; see migrations/001_model_snapshot.sql and
 * 002_item_neighbors.sql).
 */
export class SnapshotRepository {
  /** @param pool - a pool on the recommendation database (migrated). */
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Replaces the stored snapshot atomically: in one transaction, empties `content_neighbors`,
   * `item_neighbors` and `item_popularity`, bulk-loads the new rows with `COPY … FROM STDIN` (text format), and
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
      await client.query("TRUNCATE content_neighbors, item_neighbors, item_popularity");
      await copyRows(client, "COPY content_neighbors (product_id, neighbor_id, score, rank) FROM STDIN", neighborRows(snapshot.neighbors));
      await copyRows(client, "COPY item_neighbors (product_id, neighbor_id, score, rank) FROM STDIN", neighborRows(snapshot.itemNeighbors ?? new Map()));
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
   * read consistently. The neighbour lists (products × MODEL_NEIGHBORS rows: 10 million for a
   * million products and 10 neighbours) are streamed with `COPY … TO STDOUT` and parsed line by
   * line, so no result set of all rows is held in memory at once.
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
      const neighbors = await loadNeighbors(client, "content_neighbors");
      const itemNeighbors = await loadNeighbors(client, "item_neighbors");
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
      return { build, stats: build, neighbors, popularity, itemNeighbors };
    }, { begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" });
  }
}

/**
 * Streams a neighbour table (`content_neighbors` or `item_neighbors`) out of the database in
 * (product, rank) order with COPY's text format and groups it into lists, best first. Equal ids
 * share one string (a neighbour id repeats in about k lists).
 */
async function loadNeighbors(client: pg.PoolClient, table: "content_neighbors" | "item_neighbors"): Promise<Map<string, Neighbor[]>> {
  const neighbors = new Map<string, Neighbor[]>();
  const interned = new Map<string, string>();
  const intern = (raw: string): string => {
    const value = raw.includes("\\") ? copyUnescape(raw) : raw;
    let id = interned.get(value);
    if (id === undefined) interned.set(value, (id = value));
    return id;
  };
  let current: string | undefined;
  let list: Neighbor[] = [];
  const addLine = (line: string): void => {
    if (line.length === 0) return;
    const tab1 = line.indexOf("\t");
    const tab2 = line.indexOf("\t", tab1 + 1);
    if (tab1 < 0 || tab2 < 0) throw new Error(`${table}: malformed COPY line ${JSON.stringify(line.slice(0, 80))}`);
    const productId = line.slice(0, tab1);
    if (productId !== current) {
      current = productId;
      list = [];
      neighbors.set(intern(productId), list);
    }
    list.push({ productId: intern(line.slice(tab1 + 1, tab2)), score: Number(line.slice(tab2 + 1)) });
  };
  const decoder = new StringDecoder("utf8");
  let rest = "";
  const stream = client.query(copyTo(`COPY (SELECT product_id, neighbor_id, score FROM ${table} ORDER BY product_id, rank) TO STDOUT`));
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      addLine(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  }
  addLine(rest + decoder.end());
  return neighbors;
}

/** The inverse of {@link copyText}: COPY's text-format backslash sequences back to characters. */
function copyUnescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c));
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
