import type pg from "pg";
import { AlreadyExistsError } from "../../../shared/src/domain-errors.js";
import { insertOutboxMessages, type OutboxMessage } from "../../../shared/src/outbox/outbox-repository.js";
import { withTransaction } from "../../../shared/src/pg.js";

/** A price as google.type.Money: an ISO 4217 currency, whole units and nano (10^-9) units, both ≥ 0. */
export interface Money {
  /** Three upper-case letters, for example "EUR". */
  readonly currencyCode: string;
  /** Whole units of the currency. */
  readonly units: bigint;
  /** Nano units, 0 ≤ nanos < 1e9. */
  readonly nanos: number;
}

/**
 * One product as stored in the catalog database (plain object, no protobuf types). The fields after
 * `tmdbId` are optional on input (writes default them: no price, "", {}); reads always fill them.
 */
export interface ProductRecord {
  /** Stable identifier: 1 to 128 characters of [A-Za-z0-9._:-] (the MovieLens movieId in the demo, a SKU in general). */
  readonly productId: string;
  /** Display title, for example "Heat (1995)". */
  readonly title: string;
  /** Release year, 0 when unknown. */
  readonly year: number;
  /** Categories (genres) in catalog order. */
  readonly categories: readonly string[];
  /** Distinct free-text tags. */
  readonly tags: readonly string[];
  /** Free-text description, "" when none. */
  readonly description: string;
  /** IMDb id ("tt0113277") or "". */
  readonly imdbId: string;
  /** TMDB id or "". */
  readonly tmdbId: string;
  /** The price, or undefined when the product has none. */
  readonly price?: Money;
  /** Absolute http(s) URL of the product's image, or "". */
  readonly imageUrl?: string;
  /** Free string attributes ("brand" → "Acme"). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** When the product was first stored (read only). */
  readonly createTime?: Date;
  /** When the product last changed (read only). */
  readonly updateTime?: Date;
  /** +1 per change, from 1 (read only). */
  readonly revision?: number;
}

/** The fields of a product a write sets (everything but the id and the read-only fields). */
export type ProductFields = Omit<ProductRecord, "productId" | "createTime" | "updateTime" | "revision">;

/** What a batch upsert did to one product. */
export type UpsertOutcome = "created" | "updated" | "unchanged";

/**
 * Builds the outbox message that announces one committed write (see product-change-message.ts):
 * the product as stored after the write, and whether the write archived it.
 */
export type ProductChangeAnnouncer = (product: ProductRecord, archived: boolean) => OutboxMessage;

/**
 * Position after which the next page starts (keyset pagination): the last product of the previous
 * page and, for full-text queries, its rank.
 */
export interface ProductCursor {
  /** product_id of the last product returned. */
  readonly productId: string;
  /** ts_rank of that product (a float4) when the listing is ranked by a query. */
  readonly rank?: number;
}

/** Filters and page of {@link ProductRepository.list}. */
export interface ListProductsParams {
  /** Keep only products having this category, compared case-insensitively; undefined keeps all. */
  readonly category?: string;
  /** Keep only products having this tag, compared case-insensitively; undefined keeps all. */
  readonly tag?: string;
  /** Keep only products whose attribute `key` equals `value` exactly; undefined keeps all. */
  readonly attribute?: { readonly key: string; readonly value: string };
  /** Keep only products priced at least this much in its currency; undefined keeps all. */
  readonly minPrice?: Money;
  /** Keep only products priced at most this much in its currency; undefined keeps all. */
  readonly maxPrice?: Money;
  /** PostgreSQL websearch query (english configuration); undefined keeps all. */
  readonly query?: string;
  /** Page size, a count ≥ 1. */
  readonly limit: number;
  /** Start after this position; undefined for the first page. */
  readonly after?: ProductCursor;
}

/** One page of {@link ProductRepository.list}. */
export interface ProductPage {
  /** The products of the page, in listing order. */
  readonly products: ProductRecord[];
  /** Where the next page starts; undefined on the last page. */
  readonly next?: ProductCursor;
  /** Number of products matching the filters, across all pages. */
  readonly totalSize: number;
}

/** One category with its size. */
export interface CategoryCount {
  /** The category name, as stored, for example "Comedy". */
  readonly name: string;
  /** Number of products in the category. */
  readonly productCount: number;
}

interface ProductRow {
  product_id: string;
  title: string;
  year: number;
  categories: string[];
  tags: string[];
  description: string;
  imdb_id: string;
  tmdb_id: string;
  price_currency: string | null;
  price_units: string | null;
  price_nanos: number | null;
  image_url: string;
  attributes: Record<string, string>;
  create_time: Date;
  update_time: Date;
  revision: string;
  rank?: number;
}

const COLUMNS =
  "product_id, title, year, categories, tags, description, imdb_id, tmdb_id, price_currency, price_units::text AS price_units, price_nanos, image_url, attributes, create_time, update_time, revision::text AS revision";
/** The columns a write sets, compared to decide whether an upsert changes anything. */
const WRITTEN = "title, year, categories, tags, description, imdb_id, tmdb_id, price_currency, price_units, price_nanos, image_url, attributes";
/** Live products only: archived ones are never read. */
const LIVE = "NOT archived";
/** Numeric-aware id order ("2" before "10"), served by products_id_order_idx. */
const ID_ORDER = "length(product_id), product_id";

/**
 * PostgreSQL access to the catalog (`products` table, see migrations/001_products.sql).
 *
 * Listing without a query orders by id (numeric-aware: length, then text); with a query it ranks by
 * `ts_rank(search, websearch_to_tsquery('english', query))` descending, then id
 * (https://www.postgresql.org/docs/current/textsearch-controls.html). Pages are keyset pages, so
 * inserts between two calls neither repeat nor skip rows before the cursor.
 */
export class ProductRepository {
  /**
   * @param pool - connection pool of the catalog database.
   * @param options - `announce`: builds the outbox message of each committed write (the product
   *   service passes `productChangeMessage`); without it, writes leave no outbox row (tests).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { readonly announce?: ProductChangeAnnouncer } = {},
  ) {}

  /**
   * Lists one page of products matching the filters, and how many match in all. A query without
   * any lexeme (only stop words or punctuation) matches nothing.
   *
   * @param params - filters, page size and cursor.
   */
  async list(params: ListProductsParams): Promise<ProductPage> {
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const where: string[] = [LIVE];
    let rank = "NULL::real";
    if (params.category !== undefined) {
      where.push(`product_text_array_lower(categories) @> ARRAY[lower(${param(params.category)})]`);
    }
    if (params.tag !== undefined) where.push(`product_text_array_lower(tags) @> ARRAY[lower(${param(params.tag)})]`);
    if (params.attribute !== undefined) {
      where.push(`attributes @> ${param(JSON.stringify({ [params.attribute.key]: params.attribute.value }))}::jsonb`);
    }
    // Prices compare within one currency, as (units, nanos) pairs.
    for (const [bound, op] of [
      [params.minPrice, ">="],
      [params.maxPrice, "<="],
    ] as const) {
      if (bound === undefined) continue;
      where.push(`price_currency = ${param(bound.currencyCode)}`, `(price_units, price_nanos) ${op} (${param(bound.units.toString())}::bigint, ${param(bound.nanos)}::int)`);
    }
    if (params.query !== undefined) {
      const tsquery = `websearch_to_tsquery('english', ${param(params.query)})`;
      // A pseudo-constant qual: the planner checks it once before scanning, so an empty tsquery
      // never reaches @@ (which would only emit a NOTICE and match nothing anyway).
      where.push(`numnode(${tsquery}) > 0`, `search @@ ${tsquery}`);
      rank = `ts_rank(search, ${tsquery})`;
    }
    const filtered = `SELECT ${COLUMNS}, ${rank} AS rank FROM products WHERE ${where.join(" AND ")}`;
    const countValues = [...values];

    const ranked = params.query !== undefined;
    let keyset = "";
    if (params.after) {
      const id = param(params.after.productId);
      const byId = `(length(product_id), product_id) > (length(${id}::text), ${id}::text)`;
      if (ranked) {
        const r = param(params.after.rank ?? 0);
        keyset = ` WHERE (rank < ${r}::real OR (rank = ${r}::real AND ${byId}))`;
      } else {
        keyset = ` WHERE ${byId}`;
      }
    }
    const order = ranked ? `rank DESC, ${ID_ORDER}` : ID_ORDER;
    const pageSql = `SELECT * FROM (${filtered}) AS m${keyset} ORDER BY ${order} LIMIT ${param(params.limit + 1)}`;

    const [page, count] = await Promise.all([
      this.pool.query<ProductRow>(pageSql, values),
      this.pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM (${filtered}) AS m`, countValues),
    ]);
    const rows = page.rows.slice(0, params.limit);
    const last = rows[rows.length - 1];
    const next =
      page.rows.length > params.limit && last
        ? { productId: last.product_id, ...(ranked ? { rank: last.rank ?? 0 } : {}) }
        : undefined;
    return { products: rows.map(toRecord), next, totalSize: count.rows[0]?.total ?? 0 };
  }

  /**
   * Reads one product.
   *
   * @param productId - the id.
   * @returns the product, or undefined when no product has the id.
   */
  async get(productId: string): Promise<ProductRecord | undefined> {
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE product_id = $1 AND ${LIVE}`, [productId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Reads several products in one query.
   *
   * @param productIds - the ids; duplicates are returned once, at their first position.
   * @returns the existing products in the order of `productIds`; unknown ids are left out.
   */
  async batchGet(productIds: readonly string[]): Promise<ProductRecord[]> {
    if (productIds.length === 0) return [];
    const { rows } = await this.pool.query<ProductRow>(
      `SELECT ${COLUMNS} FROM products WHERE product_id = ANY($1::text[]) AND ${LIVE}`,
      [[...new Set(productIds)]],
    );
    const byId = new Map(rows.map((row) => [row.product_id, toRecord(row)]));
    const out: ProductRecord[] = [];
    for (const id of new Set(productIds)) {
      const product = byId.get(id);
      if (product) out.push(product);
    }
    return out;
  }

  /**
   * Reads the whole catalog in listing order (numeric-aware id order, as {@link list} pages without
   * a query), for the in-memory catalog index (catalog-index.ts). One sequential scan.
   *
   * @returns every product, "2" before "10".
   */
  async listAll(): Promise<ProductRecord[]> {
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE ${LIVE} ORDER BY ${ID_ORDER}`);
    return rows.map(toRecord);
  }

  /**
   * The catalog's change counter (migration 002: bumped by every statement that writes products).
   *
   * @returns the current version, a count (as a string: bigint).
   */
  async catalogVersion(): Promise<string> {
    const { rows } = await this.pool.query<{ version: string }>("SELECT version::text AS version FROM catalog_version");
    return rows[0]?.version ?? "0";
  }

  /**
   * Lists every category with its product count, ordered by name (case-insensitively, then
   * exactly). A full scan with unnest(), a few milliseconds for 10k products.
   */
  async listCategories(): Promise<CategoryCount[]> {
    const { rows } = await this.pool.query<{ name: string; product_count: number }>(
      `SELECT category AS name, count(*)::int AS product_count
         FROM products, unnest(categories) AS category
        WHERE NOT archived
        GROUP BY category
        ORDER BY lower(category), category`,
    );
    return rows.map((row) => ({ name: row.name, productCount: row.product_count }));
  }

  /**
   * Inserts or replaces products (by product_id) without announcing them (no outbox row); meant
   * for small sets in tests and admin fixes. Bulk loads use `importCatalog` (COPY), API writes
   * {@link batchUpsert}.
   *
   * @param products - the products to write.
   * @returns how many rows were written (identical ones are not).
   */
  async upsert(products: readonly ProductRecord[]): Promise<number> {
    return withTransaction(this.pool, async (client) => (await writeRows(client, products)).length);
  }

  /**
   * Creates one product and announces it, in one transaction. An archived product with the id is
   * restored with the new content (its revision goes on).
   *
   * @param product - the product (optional fields default to none).
   * @returns the product as stored.
   * @throws AlreadyExistsError when a live product has the id.
   */
  async create(product: ProductRecord): Promise<ProductRecord> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ archived: boolean }>("SELECT archived FROM products WHERE product_id = $1 FOR UPDATE", [product.productId]);
      if (rows[0] && !rows[0].archived) throw new AlreadyExistsError(`product ${JSON.stringify(product.productId)} exists already`);
      const [stored] = await writeRows(client, [product]);
      await this.announce(client, [stored!], false);
      return stored!;
    });
  }

  /**
   * Changes some fields of one live product and announces the change, in one transaction; a patch
   * that changes nothing writes nothing.
   *
   * @param productId - the product.
   * @param patch - the new values of the fields to change (fields left out are kept).
   * @returns the product as stored afterwards, or undefined when no live product has the id.
   */
  async update(productId: string, patch: Partial<ProductFields>): Promise<ProductRecord | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE product_id = $1 AND ${LIVE} FOR UPDATE`, [productId]);
      if (!rows[0]) return undefined;
      const current = toRecord(rows[0]);
      const [stored] = await writeRows(client, [{ ...current, ...patch, productId }]);
      if (!stored) return current;
      await this.announce(client, [stored], false);
      return stored;
    });
  }

  /**
   * Archives one live product and announces it, in one transaction: no read returns it afterwards.
   *
   * @param productId - the product.
   * @returns false when no live product has the id.
   */
  async archive(productId: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ProductRow>(
        `UPDATE products SET archived = true, revision = revision + 1, update_time = now()
          WHERE product_id = $1 AND ${LIVE}
          RETURNING ${COLUMNS}`,
        [productId],
      );
      if (!rows[0]) return false;
      await this.announce(client, [toRecord(rows[0])], true);
      return true;
    });
  }

  /**
   * Creates or replaces products (distinct ids) and announces those that changed, in one
   * transaction: one statement writes every product that differs from its stored row (or has none,
   * or is archived), one more inserts their outbox rows. Identical products are left alone.
   *
   * @param products - the products, each replacing every written field of its stored row.
   * @returns one outcome per product, in order.
   */
  async batchUpsert(products: readonly ProductRecord[]): Promise<UpsertOutcome[]> {
    if (products.length === 0) return [];
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ product_id: string; archived: boolean }>(
        "SELECT product_id, archived FROM products WHERE product_id = ANY($1::text[]) FOR UPDATE",
        [products.map((p) => p.productId)],
      );
      const before = new Map(rows.map((r) => [r.product_id, r.archived] as const));
      const written = await writeRows(client, products);
      await this.announce(client, written, false);
      const changed = new Set(written.map((p) => p.productId));
      return products.map((p) => (!changed.has(p.productId) ? "unchanged" : before.get(p.productId) === false ? "updated" : "created"));
    });
  }

  private async announce(client: pg.ClientBase, products: readonly ProductRecord[], archived: boolean): Promise<void> {
    const announce = this.options.announce;
    if (!announce || products.length === 0) return;
    await insertOutboxMessages(
      client,
      products.map((p) => announce(p, archived)),
    );
  }
}

/**
 * Writes products as whole rows (`INSERT … ON CONFLICT DO UPDATE`), restoring archived ones and
 * skipping rows identical to what is stored (`IS DISTINCT FROM`); a written row's revision goes up
 * by one and its update_time is now.
 *
 * @returns the rows written, as stored, in an unspecified order.
 */
async function writeRows(client: pg.ClientBase, products: readonly ProductRecord[]): Promise<ProductRecord[]> {
  if (products.length === 0) return [];
  const excluded = WRITTEN.split(", ").map((c) => `excluded.${c}`).join(", ");
  const current = WRITTEN.split(", ").map((c) => `p.${c}`).join(", ");
  const { rows } = await client.query<ProductRow>(
    `INSERT INTO products AS p (product_id, ${WRITTEN})
     SELECT r.product_id, r.title, r.year,
            ARRAY(SELECT jsonb_array_elements_text(r.categories)),
            ARRAY(SELECT jsonb_array_elements_text(r.tags)),
            r.description, r.imdb_id, r.tmdb_id, r.price_currency, r.price_units, r.price_nanos, r.image_url, r.attributes
       FROM jsonb_to_recordset($1::jsonb) AS r(product_id text, title text, year int, categories jsonb, tags jsonb,
            description text, imdb_id text, tmdb_id text, price_currency text, price_units bigint, price_nanos int,
            image_url text, attributes jsonb)
     ON CONFLICT (product_id) DO UPDATE SET
       ${WRITTEN.split(", ").map((c) => `${c} = excluded.${c}`).join(", ")},
       archived = false, revision = p.revision + 1, update_time = now()
     WHERE (${current}, p.archived) IS DISTINCT FROM (${excluded}, false)
     RETURNING ${COLUMNS.replaceAll("price_units::text", "p.price_units::text").replaceAll("revision::text", "p.revision::text")}`,
    [
      JSON.stringify(
        products.map((p) => ({
          product_id: p.productId,
          title: p.title,
          year: p.year,
          categories: p.categories,
          tags: p.tags,
          description: p.description,
          imdb_id: p.imdbId,
          tmdb_id: p.tmdbId,
          price_currency: p.price?.currencyCode ?? null,
          price_units: p.price ? p.price.units.toString() : null,
          price_nanos: p.price?.nanos ?? null,
          image_url: p.imageUrl ?? "",
          attributes: p.attributes ?? {},
        })),
      ),
    ],
  );
  return rows.map(toRecord);
}

function toRecord(row: ProductRow): ProductRecord {
  return {
    productId: row.product_id,
    title: row.title,
    year: row.year,
    categories: row.categories,
    tags: row.tags,
    description: row.description,
    imdbId: row.imdb_id,
    tmdbId: row.tmdb_id,
    ...(row.price_currency !== null && row.price_units !== null
      ? { price: { currencyCode: row.price_currency, units: BigInt(row.price_units), nanos: row.price_nanos ?? 0 } }
      : {}),
    imageUrl: row.image_url,
    attributes: row.attributes,
    createTime: row.create_time,
    updateTime: row.update_time,
    revision: Number(row.revision),
  };
}
