import type { Engagement } from "../../../../shared/src/event-kinds.js";
import type { CatalogProduct } from "../../models/catalog.js";

/**
 * Where the model build reads the catalog from: pages of products (in production, pages of
 * ProductService.ListProducts; see `GrpcCatalogSource`).
 */
export interface CatalogSource {
  /**
   * Yields the whole catalog, one page at a time.
   *
   * @throws UnavailableError (or the source's own error) when the catalog cannot be read.
   */
  pages(): AsyncIterable<readonly CatalogProduct[]>;
}

/**
 * Where the model build reads engagement history from: pages of all events in acceptance order
 * (in production, EngagementService.ScanEvents; see `GrpcInteractionSource`).
 */
export interface InteractionSource {
  /**
   * Yields every event, oldest accepted first, one page at a time.
   *
   * @throws UnavailableError (or the source's own error) when events cannot be read.
   */
  pages(): AsyncIterable<readonly Engagement[]>;
}

/** Reads a whole catalog source into one array. */
export async function readCatalog(source: CatalogSource): Promise<CatalogProduct[]> {
  const products: CatalogProduct[] = [];
  for await (const page of source.pages()) products.push(...page);
  return products;
}
