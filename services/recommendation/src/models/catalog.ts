import type { ProductText } from "./content/product-text.js";

/** One catalog product as the recommendation service keeps it in memory (from ProductService). */
export interface CatalogProduct extends ProductText {
  /** Stable product id (the MovieLens movieId in the demo). */
  readonly productId: string;
  /** Display title, for example "Heat (1995)". */
  readonly title: string;
  /** Categories (MovieLens genres), in catalog order. */
  readonly categories: readonly string[];
  /** Distinct free-text tags. */
  readonly tags: readonly string[];
  /** Free-text description, possibly empty. */
  readonly description: string;
}

/**
 * The in-memory catalog: products by id and the categories, looked up case-insensitively.
 * Immutable once built.
 */
export class Catalog {
  private readonly byId = new Map<string, CatalogProduct>();
  private readonly categoryByKey = new Map<string, string>();
  private readonly categoryKeysById = new Map<string, ReadonlySet<string>>();

  /**
   * @param products - the products, in catalog order (kept by {@link Catalog.products}); a
   *   repeated id keeps the last one.
   */
  constructor(products: Iterable<CatalogProduct>) {
    for (const product of products) {
      this.byId.set(product.productId, product);
      const keys = new Set<string>();
      for (const category of product.categories) {
        const key = categoryKey(category);
        if (!this.categoryByKey.has(key)) this.categoryByKey.set(key, category);
        keys.add(key);
      }
      this.categoryKeysById.set(product.productId, keys);
    }
  }

  /** Number of products. */
  get size(): number {
    return this.byId.size;
  }

  /** All products, in catalog order. */
  products(): IterableIterator<CatalogProduct> {
    return this.byId.values();
  }

  /** @returns the product, or undefined when the id is not in the catalog. */
  get(productId: string): CatalogProduct | undefined {
    return this.byId.get(productId);
  }

  /** @returns true when the id is in the catalog. */
  has(productId: string): boolean {
    return this.byId.has(productId);
  }

  /**
   * Resolves a category name case-insensitively to the catalog's spelling
   * ("sci-fi" → "Sci-Fi").
   *
   * @returns the catalog's spelling, or undefined when no product has that category.
   */
  resolveCategory(category: string): string | undefined {
    return this.categoryByKey.get(categoryKey(category));
  }

  /**
   * Tells whether a product is in a category (case-insensitive).
   *
   * @returns false for unknown products.
   */
  inCategory(productId: string, category: string): boolean {
    return this.categoryKeysById.get(productId)?.has(categoryKey(category)) ?? false;
  }
}

/** The case-insensitive key of a category name. */
function categoryKey(category: string): string {
  return category.trim().toLowerCase();
}

/**
 * One change of the catalog as ProductService announced it (a `recsys.product.v1.ProductChange` on
 * the catalog-changes topic, decoded): the product as stored after the write, or its archive.
 */
export interface CatalogChange {
  /** The product after the write; for an archive only `productId` is meaningful. */
  readonly product: CatalogProduct;
  /** True when the write archived the product: it leaves the catalog. */
  readonly archived: boolean;
  /** The product's revision after the write (+1 per change), so an older change can be ignored. */
  readonly revision: number;
  /** When the change was committed (the Kafka message timestamp), in ms since the epoch. */
  readonly committedAtMs: number;
}
