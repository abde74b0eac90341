import type pg from "pg";

/** One product as stored in the catalog database (plain object, no protobuf types). */
export interface ProductRecord {
  /** Stable identifier (the MovieLens movieId in the demo), for example "6". */
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
}

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
  rank?: number;
}

const COLUMNS = "product_id, title, year, categories, tags, description, imdb_id, tmdb_id";
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
  /** @param pool - connection pool of the catalog database. */
  constructor(private readonly pool: pg.Pool) {}

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
    const where: string[] = [];
    let rank = "NULL::real";
    if (params.category !== undefined) {
      where.push(`product_text_array_lower(categories) @> ARRAY[lower(${param(params.category)})]`);
    }
    if (params.query !== undefined) {
      const tsquery = `websearch_to_tsquery('english', ${param(params.query)})`;
      // A pseudo-constant qual: the planner checks it once before scanning, so an empty tsquery
      // never reaches @@ (which would only emit a NOTICE and match nothing anyway).
      where.push(`numnode(${tsquery}) > 0`, `search @@ ${tsquery}`);
      rank = `ts_rank(search, ${tsquery})`;
    }
    const filtered = `SELECT ${COLUMNS}, ${rank} AS rank FROM products${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
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
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE product_id = $1`, [productId]);
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
      `SELECT ${COLUMNS} FROM products WHERE product_id = ANY($1::text[])`,
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
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${COLUMNS} FROM products ORDER BY ${ID_ORDER}`);
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
        GROUP BY category
        ORDER BY lower(category), category`,
    );
    return rows.map((row) => ({ name: row.name, productCount: row.product_count }));
  }

  /**
   * Inserts or replaces products (by product_id) in one statement; meant for small sets (tests,
   * admin fixes). Bulk loads use `importCatalog` (COPY).
   *
   * @param products - the products to write.
   * @returns how many rows were written.
   */
  async upsert(products: readonly ProductRecord[]): Promise<number> {
    if (products.length === 0) return 0;
    const result = await this.pool.query(
      `INSERT INTO products (${COLUMNS})
       SELECT p.product_id, p.title, p.year,
              ARRAY(SELECT jsonb_array_elements_text(p.categories)),
              ARRAY(SELECT jsonb_array_elements_text(p.tags)),
              p.description, p.imdb_id, p.tmdb_id
         FROM jsonb_to_recordset($1::jsonb) AS p(product_id text, title text, year int, categories jsonb,
              tags jsonb, description text, imdb_id text, tmdb_id text)
       ON CONFLICT (product_id) DO UPDATE SET
         title = excluded.title, year = excluded.year, categories = excluded.categories, tags = excluded.tags,
         description = excluded.description, imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id`,
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
          })),
        ),
      ],
    );
    return result.rowCount ?? 0;
  }
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
  };
}
