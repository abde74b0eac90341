import { LRUCache } from "lru-cache";
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import {
  BatchGetProductsResponseSchema,
  BatchUpsertProductsResponseSchema,
  CategorySchema,
  CreateProductResponseSchema,
  DeleteProductResponseSchema,
  GetProductResponseSchema,
  ListCategoriesResponseSchema,
  ListProductsResponseSchema,
  UpdateProductResponseSchema,
  UpsertOutcome,
  UpsertProductResultSchema,
  type BatchGetProductsRequest,
  type BatchGetProductsResponse,
  type BatchUpsertProductsRequest,
  type BatchUpsertProductsResponse,
  type CreateProductRequest,
  type CreateProductResponse,
  type DeleteProductRequest,
  type DeleteProductResponse,
  type GetProductRequest,
  type GetProductResponse,
  type ListCategoriesResponse,
  type ListProductsRequest,
  type ListProductsResponse,
  type ProductService,
  type UpdateProductRequest,
  type UpdateProductResponse,
} from "../../../gen/recsys/product/v1/product_service_pb.js";
import type { AccessControl } from "../../shared/src/access-control.js";
import { invalidArgument, notFound, toConnectError } from "../../shared/src/errors.js";
import { decodePageToken, encodePageToken, MAX_PRODUCT_ID_LENGTH, requireProductId, resolveSize } from "../../shared/src/validation.js";
import type { CatalogIndexSource } from "./data/catalog-index.js";
import type { CategoryCount, ProductCursor, ProductRecord, ProductRepository, UpsertOutcome as StoredOutcome } from "./data/product-repository.js";
import { toProduct } from "./product-message.js";
import { parseAttributeFilter, resolveUpdateMask, validateFields, validateMoney, validateProduct } from "./validation/product-validation.js";

export { toProduct } from "./product-message.js";

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
/** Largest accepted tag filter, in characters. */
export const MAX_TAG_LENGTH = 128;
/** Products per BatchUpsertProducts request, at most. */
export const MAX_UPSERT_PRODUCTS = 1000;

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
    const tag = optionalText("tag", request.tag, MAX_TAG_LENGTH);
    const attribute = parseAttributeFilter(request.attribute);
    const minPrice = request.minPrice ? validateMoney("min_price", request.minPrice) : undefined;
    const maxPrice = request.maxPrice ? validateMoney("max_price", request.maxPrice) : undefined;
    if (minPrice && maxPrice && minPrice.currencyCode !== maxPrice.currencyCode) {
      throw invalidArgument("max_price.currency_code", `must equal min_price.currency_code (${minPrice.currencyCode})`);
    }
    const fingerprint = filterFingerprint(category, query, [tag, attribute, minPrice, maxPrice]);
    const cursor = decodePageToken("page_token", request.pageToken, isPageCursor);
    if (cursor && (cursor.f !== fingerprint || (query !== undefined) !== (cursor.r !== undefined))) {
      throw invalidArgument("page_token", "belongs to a listing with other filters");
    }
    const after: ProductCursor | undefined = cursor
      ? { productId: cursor.id, ...(cursor.r !== undefined ? { rank: cursor.r } : {}) }
      : undefined;
    // The in-memory index serves the whole catalog or one category; other filters ask PostgreSQL.
    const plain = query === undefined && tag === undefined && attribute === undefined && !minPrice && !maxPrice;
    const index = plain ? this.options.catalogIndex?.current : undefined;
    const page =
      index?.browse(category, limit, after) ??
      (await this.repository.list({
        category,
        query,
        limit,
        after,
        ...(tag !== undefined ? { tag } : {}),
        ...(attribute ? { attribute } : {}),
        ...(minPrice ? { minPrice } : {}),
        ...(maxPrice ? { maxPrice } : {}),
      }));
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
    const id = requireProductId("product_id", request.productId);
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
    request.productIds.forEach((id, index) => requireProductId(`product_ids[${index}]`, id));
    const products = await this.repository.batchGet(request.productIds);
    return create(BatchGetProductsResponseSchema, { products: products.map(toProduct) });
  }

  /**
   * Creates one product (service token). See the proto for the contract.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming the field (`product.title`, `product.price.currency_code`, …);
   *   ALREADY_EXISTS when a live product has the id.
   */
  async createProduct(request: CreateProductRequest, context: HandlerContext): Promise<CreateProductResponse> {
    await this.options.access.requireService(context.requestHeader);
    const product = validateProduct("product", request.product);
    const stored = await this.repository.create(product);
    await this.options.catalogIndex?.refreshNow?.();
    return create(CreateProductResponseSchema, { product: toProduct(stored) });
  }

  /**
   * Changes the fields of one live product that the update mask names (AIP-134,
   * https://google.aip.dev/134; see {@link resolveUpdateMask} for an empty mask).
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming `product_id`, `product`, `product.product_id` (differs from product_id),
   *   `update_mask.paths[i]` or a field; NOT_FOUND when no live product has the id.
   */
  async updateProduct(request: UpdateProductRequest, context: HandlerContext): Promise<UpdateProductResponse> {
    await this.options.access.requireService(context.requestHeader);
    const id = requireProductId("product_id", request.productId);
    const product = request.product;
    if (!product) throw invalidArgument("product", "is required");
    if (product.productId !== "" && product.productId !== id) {
      throw invalidArgument("product.product_id", `must be empty or equal product_id (${JSON.stringify(id)})`);
    }
    const fields = resolveUpdateMask(request.updateMask?.paths ?? [], product);
    const stored = await this.repository.update(id, validateFields("product", product, fields));
    if (!stored) throw notFound("product", id);
    await this.options.catalogIndex?.refreshNow?.();
    return create(UpdateProductResponseSchema, { product: toProduct(stored) });
  }

  /**
   * Archives one product: no read or recommendation returns it afterwards.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT for a malformed product_id; NOT_FOUND when no live product has it.
   */
  async deleteProduct(request: DeleteProductRequest, context: HandlerContext): Promise<DeleteProductResponse> {
    await this.options.access.requireService(context.requestHeader);
    const id = requireProductId("product_id", request.productId);
    if (!(await this.repository.archive(id))) throw notFound("product", id);
    await this.options.catalogIndex?.refreshNow?.();
    return create(DeleteProductResponseSchema, {});
  }

  /**
   * Creates or replaces 1 to 1000 products, each accepted or rejected on its own: a product that
   * fails validation, or repeats an id of an earlier one in the request, gets an INVALID_ARGUMENT
   * status naming the field (`products[3].title: is required`); the valid ones are stored in one
   * transaction. Products identical to the stored ones are UNCHANGED and announce nothing.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming `products` for 0 or more than 1000 products; UNAVAILABLE when the
   *   database cannot store them (nothing is stored then).
   */
  async batchUpsertProducts(request: BatchUpsertProductsRequest, context: HandlerContext): Promise<BatchUpsertProductsResponse> {
    await this.options.access.requireService(context.requestHeader);
    const count = request.products.length;
    if (count === 0 || count > MAX_UPSERT_PRODUCTS) {
      throw invalidArgument("products", `must hold 1 to ${MAX_UPSERT_PRODUCTS} products, got ${count}`);
    }
    const seen = new Map<string, number>();
    const accepted: { readonly index: number; readonly record: ProductRecord }[] = [];
    const results = request.products.map((product, index) => {
      try {
        const record = validateProduct(`products[${index}]`, product);
        const first = seen.get(record.productId);
        if (first !== undefined) throw invalidArgument(`products[${index}].product_id`, `repeats products[${first}].product_id`);
        seen.set(record.productId, index);
        accepted.push({ index, record });
        return create(UpsertProductResultSchema, { productId: product.productId, status: { code: 0, message: "" } });
      } catch (err) {
        const e = ConnectError.from(err);
        return create(UpsertProductResultSchema, { productId: product.productId, status: { code: e.code, message: e.rawMessage } });
      }
    });
    let outcomes: StoredOutcome[];
    try {
      outcomes = await this.repository.batchUpsert(accepted.map((a) => a.record));
    } catch (err) {
      throw toConnectError(err, "the catalog database");
    }
    accepted.forEach((a, i) => {
      results[a.index]!.outcome = OUTCOMES[outcomes[i]!];
    });
    if (outcomes.some((o) => o !== "unchanged")) await this.options.catalogIndex?.refreshNow?.();
    return create(BatchUpsertProductsResponseSchema, { results });
  }

  /** Returns every category with its product count, ordered by name. */
  async listCategories(): Promise<ListCategoriesResponse> {
    const categories = this.categories ? ((await this.categories.fetch("all")) ?? []) : await this.repository.listCategories();
    return create(ListCategoriesResponseSchema, {
      categories: categories.map((c) => create(CategorySchema, { name: c.name, productCount: c.productCount })),
    });
  }
}

/** Trims a free-text filter; empty means "no filter". */
function optionalText(field: string, value: string, max: number): string | undefined {
  const text = value.trim();
  if (text === "") return undefined;
  if (text.length > max) throw invalidArgument(field, `must be at most ${max} characters, got ${text.length}`);
  if (CONTROL_CHARS.test(text)) throw invalidArgument(field, "must not contain control characters");
  return text;
}

const OUTCOMES: Readonly<Record<StoredOutcome, UpsertOutcome>> = {
  created: UpsertOutcome.CREATED,
  updated: UpsertOutcome.UPDATED,
  unchanged: UpsertOutcome.UNCHANGED,
};

function filterFingerprint(category: string | undefined, query: string | undefined, more: readonly unknown[] = []): string {
  return createHash("sha256")
    .update(
      JSON.stringify([category?.toLowerCase() ?? null, query ?? null, ...(more.some((m) => m !== undefined) ? more : [])], (_, v: unknown) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    )
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
    v.id.length <= MAX_PRODUCT_ID_LENGTH &&
    (v.r === undefined || (typeof v.r === "number" && Number.isFinite(v.r)))
  );
}
