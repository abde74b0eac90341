import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { LRUCache } from "lru-cache";
import type { ProductService } from "../../../../gen/recsys/product/v1/product_service_pb.js";
import { dependencyError } from "../../../shared/src/peers/dependency-error.js";
import { createLookupCache, type LookupCacheOptions } from "../../../shared/src/peers/lookup-cache.js";

/** What the engagement service needs from the catalog: whether a product exists, and its categories. */
export interface CatalogLookup {
  /**
   * Looks a product up.
   *
   * @param productId - the product id.
   * @returns the product's categories (possibly empty), or undefined when the product does not exist.
   * @throws UnavailableError "product service is unavailable, retry later" when the catalog cannot
   *   answer; Error "product service failed: …" on any other failure.
   */
  getCategories(productId: string): Promise<readonly string[] | undefined>;
  /**
   * Looks many products up at once (for batches).
   *
   * @param productIds - the product ids (repeats allowed).
   * @returns the categories of each product that exists; missing ids are absent.
   * @throws as {@link CatalogLookup.getCategories}.
   */
  getCategoriesMany(productIds: readonly string[]): Promise<Map<string, readonly string[]>>;
}

/** Most ids per `BatchGetProducts` call (the ProductService's limit). */
const BATCH_GET_MAX = 1000;

/** Options of {@link GrpcCatalogLookup}: its cache of found products (see {@link LookupCacheOptions}). */
export type GrpcCatalogLookupOptions = LookupCacheOptions;

/**
 * {@link CatalogLookup} over `ProductService.GetProduct`. Found products are cached in a bounded
 * LRU cache for a short time, so recording many events on the same products costs no catalog
 * round trip; misses (NOT_FOUND) are not cached, so a product created a moment ago is found.
 * Batches use `ProductService.BatchGetProducts` for the ids not cached: one round trip per 1000 ids.
 */
export class GrpcCatalogLookup implements CatalogLookup {
  private readonly cache: LRUCache<string, readonly string[]> | undefined;

  /**
   * @param client - a ProductService client (see `createServiceClient`), whose deadline bounds each look-up.
   * @param options - cache size and time to live.
   */
  constructor(
    private readonly client: Client<typeof ProductService>,
    options: GrpcCatalogLookupOptions = {},
  ) {
    this.cache = createLookupCache<readonly string[]>(options);
  }

  async getCategories(productId: string): Promise<readonly string[] | undefined> {
    const cached = this.cache?.get(productId);
    if (cached) return cached;
    try {
      const res = await this.client.getProduct({ productId });
      const categories = Object.freeze([...(res.product?.categories ?? [])]);
      this.cache?.set(productId, categories);
      return categories;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return undefined;
      throw dependencyError("product service", err);
    }
  }

  async getCategoriesMany(productIds: readonly string[]): Promise<Map<string, readonly string[]>> {
    const found = new Map<string, readonly string[]>();
    const missing = new Set<string>();
    for (const id of productIds) {
      if (found.has(id) || missing.has(id)) continue;
      const cached = this.cache?.get(id);
      if (cached) found.set(id, cached);
      else missing.add(id);
    }
    const ids = [...missing];
    for (let start = 0; start < ids.length; start += BATCH_GET_MAX) {
      let res;
      try {
        res = await this.client.batchGetProducts({ productIds: ids.slice(start, start + BATCH_GET_MAX) });
      } catch (err) {
        throw dependencyError("product service", err);
      }
      for (const product of res.products) {
        const categories = Object.freeze([...product.categories]);
        this.cache?.set(product.productId, categories);
        found.set(product.productId, categories);
      }
    }
    return found;
  }
}
