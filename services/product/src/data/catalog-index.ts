import type { Logger } from "pino";
import type { ProductCursor, ProductPage, ProductRecord, ProductRepository } from "./product-repository.js";

/**
 * The catalog in memory, for the reads that need no full-text search: GetProduct and ListProducts
 * without a `query` (whole catalog or one category), which then cost a map look-up or a binary
 * search plus a slice instead of a PostgreSQL round trip. Answers are those of
 * {@link ProductRepository} for the same catalog: the order is the database's own
 * (`ORDER BY length(product_id), product_id`, read once by {@link CatalogIndex.load}), categories
 * match case-insensitively (`toLowerCase`, as `lower()` does for the ASCII names of the catalog),
 * and totals are the sizes of the lists.
 *
 * Memory: the records themselves plus one position array per category (4 bytes per product and
 * category it has) and one map entry per product.
 */
export class CatalogIndex {
  private readonly position = new Map<string, number>();
  private readonly byCategory = new Map<string, Int32Array>();
  private readonly all: Int32Array;

  /**
   * @param version - the catalog version the records were read at (`ProductRepository.catalogVersion`).
   * @param products - every product, in listing order.
   */
  constructor(
    readonly version: string,
    private readonly products: readonly ProductRecord[],
  ) {
    const lists = new Map<string, number[]>();
    products.forEach((product, i) => {
      this.position.set(product.productId, i);
      for (const category of new Set(product.categories.map((c) => c.toLowerCase()))) {
        let list = lists.get(category);
        if (!list) lists.set(category, (list = []));
        list.push(i);
      }
    });
    for (const [category, list] of lists) this.byCategory.set(category, Int32Array.from(list));
    this.all = Int32Array.from(products.keys());
  }

  /**
   * Reads the catalog from the database: the version first, then the products, so a write in
   * between makes the version look older than the data (and the next refresh reload), never newer.
   *
   * @throws the repository's error (UnavailableError-mapped upstream) when PostgreSQL cannot answer.
   */
  static async load(repository: Pick<ProductRepository, "catalogVersion" | "listAll">): Promise<CatalogIndex> {
    const version = await repository.catalogVersion();
    return new CatalogIndex(version, await repository.listAll());
  }

  /** Number of products. */
  get size(): number {
    return this.products.length;
  }

  /**
   * One product by id.
   *
   * @returns the product, or undefined when the catalog has no such id.
   */
  get(productId: string): ProductRecord | undefined {
    const i = this.position.get(productId);
    return i === undefined ? undefined : this.products[i];
  }

  /**
   * One page of the catalog or of one category, in listing order, as `ProductRepository.list`
   * without a query returns it.
   *
   * @param category - keep only products with this category (case-insensitive); undefined keeps all.
   * @param limit - page size, a count ≥ 1.
   * @param after - start after this product; its rank is ignored (no query, no rank).
   * @returns the page, or undefined when `after` names a product the index does not hold (deleted
   *   since the cursor was made): the caller then asks the database, which orders by id alone.
   */
  browse(category: string | undefined, limit: number, after?: ProductCursor): ProductPage | undefined {
    const list = category === undefined ? this.all : (this.byCategory.get(category.toLowerCase()) ?? EMPTY);
    let start = 0;
    if (after) {
      const at = this.position.get(after.productId);
      if (at === undefined) return undefined;
      start = upperBound(list, at);
    }
    const end = Math.min(start + limit, list.length);
    const products: ProductRecord[] = [];
    for (let k = start; k < end; k++) products.push(this.products[list[k]!]!);
    const last = products[products.length - 1];
    return {
      products,
      next: end < list.length && last ? { productId: last.productId } : undefined,
      totalSize: list.length,
    };
  }
}

const EMPTY = new Int32Array(0);

/** First index of `sorted` whose value is greater than `value` (binary search). */
function upperBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where readers find the index to serve from: undefined while none is loaded (read the database). */
export interface CatalogIndexSource {
  /** The current index, or undefined. */
  readonly current: CatalogIndex | undefined;
  /**
   * Reloads the index now if the catalog changed (after this process's own write, so its next read
   * sees it); concurrent calls share one reload plus at most one more. Never throws.
   */
  refreshNow?(): Promise<void>;
}

/** Options of {@link CatalogIndexRefresher}. */
export interface CatalogIndexRefresherOptions {
  /** Where the catalog and its version come from. */
  readonly repository: Pick<ProductRepository, "catalogVersion" | "listAll">;
  /** How often the version is polled, in ms (`CATALOG_INDEX_POLL_MS`, default 200). */
  readonly pollIntervalMs: number;
  /** Reloads and failures are logged here. */
  readonly logger: Logger;
}

/**
 * Keeps a {@link CatalogIndex} current: loads it at {@link start}, then polls the catalog version
 * (one primary-key read) every `pollIntervalMs` and reloads the whole index when it changed, so a
 * catalog write is served from memory within one poll interval plus one reload (about 0.1 s for the
 * 9,742 MovieLens products). While the database cannot be read, {@link current} is undefined
 * (callers read the database, and answer UNAVAILABLE as before) until a load succeeds again.
 */
export class CatalogIndexRefresher implements CatalogIndexSource {
  private index: CatalogIndex | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** @param options - repository, poll interval and logger. */
  constructor(private readonly options: CatalogIndexRefresherOptions) {}

  /** The index to serve from, or undefined while none is loaded (before start, or the database failing). */
  get current(): CatalogIndex | undefined {
    return this.index;
  }

  /**
   * Loads the index once and starts polling. A failed first load is logged, not thrown: the
   * service starts and reads the database until a poll succeeds.
   */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /**
   * Reloads now when the catalog version moved (a write of this process): one reload in flight at a
   * time, and callers arriving during one share the next, which starts after it.
   */
  refreshNow(): Promise<void> {
    if (!this.running) return this.refresh();
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  /** Stops polling; {@link current} keeps the last index. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private refresh(): Promise<void> {
    const run = this.load().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async load(): Promise<void> {
    try {
      // The version first, then the products (see CatalogIndex.load): one version read per poll.
      const version = await this.options.repository.catalogVersion();
      if (this.index?.version === version) return;
      const started = performance.now();
      const index = new CatalogIndex(version, await this.options.repository.listAll());
      this.index = index;
      this.options.logger.info(
        { version: index.version, products: index.size, ms: Math.round(performance.now() - started) },
        "catalog index loaded",
      );
      if (this.failing) this.options.logger.info("catalog index reads the database again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.options.logger.warn({ err: err instanceof Error ? err.message : err }, "catalog index cannot read the database; serving from PostgreSQL");
      }
      this.failing = true;
      this.index = undefined;
    }
  }
}
