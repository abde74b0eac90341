import { LRUCache } from "lru-cache";
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  BatchGetProductsResponseSchema,
  CategorySchema,
  GetProductResponseSchema,
  ListCategoriesResponseSchema,
  ListProductsResponseSchema,
  ProductSchema,
  type BatchGetProductsRequest,
  type BatchGetProductsResponse,
  type GetProductRequest,
  type GetProductResponse,
  type ListCategoriesResponse,
  type ListProductsRequest,
  type ListProductsResponse,
  type Product,
  type ProductService,
} from "../../../gen/recsys/product/v1/product_service_pb.js";
import type { AccessControl } from "../../shared/src/access-control.js";
import { invalidArgument, notFound } from "../../shared/src/errors.js";
import { decodePageToken, encodePageToken, requireId, resolveSize } from "../../shared/src/validation.js";
import type { CatalogIndexSource } from "./data/catalog-index.js";
import type { CategoryCount, ProductCursor, ProductRecord, ProductRepository } from "./data/product-repository.js";

/** Page size used when a ListProducts request leaves page_size at 0. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest accepted page_size. */
export const MAX_PAGE_SIZE = 100;
/** Largest number of ids in one BatchGetProducts request. */
export const MAX_BATCH_IDS = 1000;
/** Largest accepted query, in characters. */
export const MAX_QUERY_LENGTH = 256;
/** Largest accepted category, in characters. */
export const MAX_CATEGORY_LENGTH = 64;

/** The page token's content: the keyset cursor and a fingerprint of the filters it belongs to. */
interface PageCursor {
  /** Fingerprint of (category, query), so a token cannot be replayed against other filters. */
  readonly f: string;
  /** product_id of the last product of the previous page. */
  readonly id: string;
  /** ts_rank of that product, for query listings. */
  readonly r?: number;
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * ProductService: the catalog (recsys.product.v1). Validates requests, delegates storage to a
 * {@link ProductRepository}, and maps records to protobuf messages.
 *
 * Errors: INVALID_ARGUMENT naming the field (`page_size`, `page_token`, `query`, `category`,
 * `product_id`, `product_ids`); NOT_FOUND for an unknown product; storage outages surface as
 * UNAVAILABLE through the server's error mapping.
 */
export class ProductServiceImpl implements ServiceImpl<typeof ProductService> {
  /** The category counts, kept `categoriesCacheMs` after they were counted (one key). */
  private readonly categories: LRUCache<"all", CategoryCount[]> | undefined;

  /**
   * @param repository - catalog storage.
   * @param options - `access`: checks the service token of the internal RPC (BatchGetProducts);
   *   `categoriesCacheMs`: how long ListCategories answers from memory after counting (default 0: it
   *   counts on every call); concurrent calls share one count, a failed count is not kept;
   *   `catalogIndex`: the in-memory catalog that GetProduct and ListProducts without a query read
   *   when it holds an index (catalog-index.ts); without one, every read asks the database.
   */
  constructor(
    private readonly repository: ProductRepository,
    private readonly options: {
      readonly access: AccessControl;
      readonly categoriesCacheMs?: number;
      readonly catalogIndex?: CatalogIndexSource;
    },
  ) {
    const ttl = options.categoriesCacheMs ?? 0;
    this.categories = ttl > 0 ? new LRUCache({ max: 1, ttl, fetchMethod: () => this.repository.listCategories() }) : undefined;
  }

  /**
   * Pages through the catalog; see the proto for the contract. Page tokens are opaque keyset
   * cursors (AIP-158, https://google.aip.dev/158) bound to the request's category and query.
   *
   * @throws ConnectError INVALID_ARGUMENT for page_size outside 0..100, a foreign page_token, a
   *   query over 256 characters or a category over 64, or control characters in either.
   */
  async listProducts(request: ListProductsRequest): Promise<ListProductsResponse> {
    const limit = resolveSize("page_size", request.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const category = optionalText("category", request.category, MAX_CATEGORY_LENGTH);
    const query = optionalText("query", request.query, MAX_QUERY_LENGTH);
    const fingerprint = filterFingerprint(category, query);
    const cursor = decodePageToken("page_token", request.pageToken, isPageCursor);
    if (cursor && (cursor.f !== fingerprint || (query !== undefined) !== (cursor.r !== undefined))) {
      throw invalidArgument("page_token", "belongs to a listing with other filters");
    }
    const after: ProductCursor | undefined = cursor
      ? { productId: cursor.id, ...(cursor.r !== undefined ? { rank: cursor.r } : {}) }
      : undefined;
    const index = query === undefined ? this.options.catalogIndex?.current : undefined;
    const page = index?.browse(category, limit, after) ?? (await this.repository.list({ category, query, limit, after }));
    const next = page.next
      ? encodePageToken({ f: fingerprint, id: page.next.productId, ...(page.next.rank !== undefined ? { r: page.next.rank } : {}) })
      : "";
    return create(ListProductsResponseSchema, {
      products: page.products.map(toProduct),
      nextPageToken: next,
      totalSize: page.totalSize,
    });
  }

  /**
   * Returns one product.
   *
   * @throws ConnectError INVALID_ARGUMENT for a malformed product_id; NOT_FOUND when none has it.
   */
  async getProduct(request: GetProductRequest): Promise<GetProductResponse> {
    const id = requireId("product_id", request.productId);
    const index = this.options.catalogIndex?.current;
    const product = index ? index.get(id) : await this.repository.get(id);
    if (!product) throw notFound("product", id);
    return create(GetProductResponseSchema, { product: toProduct(product) });
  }

  /**
   * Returns the existing products among up to 1000 ids, in request order (a repeated id once). An
   * internal RPC (no `google.api.http` rule): it needs the service token.
   *
   * @throws ConnectError UNAUTHENTICATED without the service token, PERMISSION_DENIED for a user's
   *   token; INVALID_ARGUMENT naming `product_ids` for more than 1000 ids or a malformed one (its
   *   index is in the message).
   */
  async batchGetProducts(request: BatchGetProductsRequest, context: HandlerContext): Promise<BatchGetProductsResponse> {
    await this.options.access.requireService(context.requestHeader);
    if (request.productIds.length > MAX_BATCH_IDS) {
      throw invalidArgument("product_ids", `must hold at most ${MAX_BATCH_IDS} ids, got ${request.productIds.length}`);
    }
    request.productIds.forEach((id, index) => requireId(`product_ids[${index}]`, id));
    const products = await this.repository.batchGet(request.productIds);
    return create(BatchGetProductsResponseSchema, { products: products.map(toProduct) });
  }

  /** Returns every category with its product count, ordered by name. */
  async listCategories(): Promise<ListCategoriesResponse> {
    const categories = this.categories ? ((await this.categories.fetch("all")) ?? []) : await this.repository.listCategories();
    return create(ListCategoriesResponseSchema, {
      categories: categories.map((c) => create(CategorySchema, { name: c.name, productCount: c.productCount })),
    });
  }
}

/**
 * Maps a stored product to its protobuf message.
 *
 * @param record - the stored product.
 */
export function toProduct(record: ProductRecord): Product {
  return create(ProductSchema, {
    productId: record.productId,
    title: record.title,
    year: record.year,
    categories: [...record.categories],
    tags: [...record.tags],
    description: record.description,
    imdbId: record.imdbId,
    tmdbId: record.tmdbId,
  });
}

/** Trims a free-text filter; empty means "no filter". */
function optionalText(field: string, value: string, max: number): string | undefined {
  const text = value.trim();
  if (text === "") return undefined;
  if (text.length > max) throw invalidArgument(field, `must be at most ${max} characters, got ${text.length}`);
  if (CONTROL_CHARS.test(text)) throw invalidArgument(field, "must not contain control characters");
  return text;
}

function filterFingerprint(category: string | undefined, query: string | undefined): string {
  return createHash("sha256")
    .update(JSON.stringify([category?.toLowerCase() ?? null, query ?? null]))
    .digest("base64url")
    .slice(0, 12);
}

function isPageCursor(value: unknown): value is PageCursor {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.f === "string" &&
    typeof v.id === "string" &&
    v.id.length > 0 &&
    v.id.length <= 64 &&
    (v.r === undefined || (typeof v.r === "number" && Number.isFinite(v.r)))
  );
}
