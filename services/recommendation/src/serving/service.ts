import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import {
  EventTypeCountSchema,
  GetProductStatsResponseSchema,
  GetRecommendationsResponseSchema,
  GetSimilarProductsResponseSchema,
  GetTrendingResponseSchema,
  RecommendedItemSchema,
  SignalScoresSchema,
  TrendingItemSchema,
  GetServingStatusResponseSchema,
  RecentErrorSchema,
  ServedModelSchema,
  type GetServingStatusRequest,
  type GetServingStatusResponse,
  type EventTypeCount,
  type GetProductStatsRequest,
  type GetProductStatsResponse,
  type GetRecommendationsRequest,
  type GetRecommendationsResponse,
  type GetSimilarProductsRequest,
  type GetSimilarProductsResponse,
  type GetTrendingRequest,
  type GetTrendingResponse,
  type RecommendationService,
  type RecommendedItem,
} from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import type { AccessControl } from "../../../shared/src/access-control.js";
import { UnavailableError } from "../../../shared/src/domain-errors.js";
import { invalidArgument, notFound } from "../../../shared/src/errors.js";
import { currentRequest } from "../../../shared/src/request-context.js";
import { requireId, requireProductId, resolveLimit } from "../../../shared/src/validation.js";
import { resolveWeights } from "./domain/blend-weights.js";
import type { RankedItem } from "./ranking/rank.js";
import { Recommender, type RecommenderDeps } from "./recommender.js";
import type { ProductDirectory } from "./domain/product-directory.js";
import { ENGAGEMENT_KINDS, eventTypeOf, type EngagementCounts } from "../../../shared/src/event-kinds.js";
import { newRecommendationId } from "../../../shared/src/recommendation-id.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ImpressionRecord, ListKind } from "./impressions/impression-buffer.js";
import { readServingStatus, type RecentErrors, type ServingStatusSources } from "./serving-status.js";

/** Largest number of `exclude_product_ids`. */
export const MAX_EXCLUDED_IDS = 1000;
/** Largest accepted `category`, in characters. */
export const MAX_CATEGORY_LENGTH = 64;

/** What the service needs, injected: the recommender's dependencies, plus the edge's own. */
export interface RecommendationServiceDeps extends RecommenderDeps {
  /**
   * The live catalog, asked about products the in-memory catalog does not hold (created after the
   * models were loaded); without it, only the in-memory catalog counts.
   */
  readonly products?: ProductDirectory;
  /**
   * Access control of reads: GetRecommendations needs the user's access token or the service token
   * unless its `requireAuthForReads` is off (`AUTH_REQUIRED_FOR_READS=false` or
   * `PUBLIC_RECOMMENDATION_READS=true`). Without it (in-process tests) reads are open.
   */
  readonly access?: AccessControl;
  /**
   * Where each answered list's impression goes (an `ImpressionBuffer`: `record` returns at once and
   * never throws). Without it, answers still carry a recommendation_id and nothing is recorded.
   */
  readonly impressions?: { record(impression: ImpressionRecord): void };
  /** Where GetServingStatus reads its parts; without it GetServingStatus answers UNAVAILABLE. */
  readonly status?: ServingStatusSources;
  /** Longest wait of GetServingStatus for each remote part (engagement service, Kafka), in ms (default 2000). */
  readonly statusTimeoutMs?: number;
}

/**
 * RecommendationService (recsys.recommendation.v1): validates requests, runs the
 * {@link Recommender} and maps its results to protobuf messages.
 *
 * Errors: INVALID_ARGUMENT naming the field (`user_id`, `product_id`, `limit`, `category`,
 * `exclude_product_ids`, `weights.<name>`); NOT_FOUND for an unknown user or product; UNAVAILABLE
 * when the user or engagement service is down (and for GetTrending and GetProductStats when the
 * trending store is).
 * A trending-store outage never fails GetRecommendations or GetSimilarProducts: they answer
 * without it and list "trending" in `unavailable_signals`.
 */
export class RecommendationServiceImpl implements ServiceImpl<typeof RecommendationService> {
  private readonly recommender: Recommender;

  /** @param deps - serving state, user directory, history, trending source, settings, logger. */
  constructor(private readonly deps: RecommendationServiceDeps) {
    this.recommender = new Recommender(deps);
  }

  /**
   * A user's recommendations (see `Recommender.recommend` for the candidates and the blend).
   *
   * @throws ConnectError INVALID_ARGUMENT for a malformed user_id, limit outside 0..100, a
   *   category over 64 characters, more than 1000 or malformed exclude_product_ids, or weights
   *   outside [0, 1] or not summing to 1 per pair; NOT_FOUND for an unknown user.
   */
  async getRecommendations(request: GetRecommendationsRequest, context: HandlerContext): Promise<GetRecommendationsResponse> {
    await this.deps.access?.requireUserForRead(context.requestHeader, request.userId);
    const userId = requireId("user_id", request.userId);
    const limit = resolveLimit(request.limit);
    const category = optionalCategory(request.category);
    if (request.excludeProductIds.length > MAX_EXCLUDED_IDS) {
      throw invalidArgument("exclude_product_ids", `must hold at most ${MAX_EXCLUDED_IDS} ids, got ${request.excludeProductIds.length}`);
    }
    request.excludeProductIds.forEach((id, i) => requireProductId(`exclude_product_ids[${i}]`, id));
    const weights = resolveWeights(this.deps.settings.weights, request.weights);
    const result = await this.recommender.recommend({
      userId,
      limit,
      category,
      exclude: new Set(request.excludeProductIds),
      weights,
    }, this.requestLogger());
    const recommendationId = this.shown("for_you", result.items, userId, "GetRecommendations", result.unavailableSignals);
    return create(GetRecommendationsResponseSchema, {
      items: result.items.map(toRecommendedItem),
      strategy: result.strategy,
      unavailableSignals: result.unavailableSignals,
      recommendationId,
    });
  }

  /**
   * The products most similar to one product (see `Recommender.similar`).
   *
   * @throws ConnectError INVALID_ARGUMENT for a malformed product_id or limit outside 0..100;
   *   NOT_FOUND for a product not in the catalog.
   */
  async getSimilarProducts(request: GetSimilarProductsRequest): Promise<GetSimilarProductsResponse> {
    const productId = requireProductId("product_id", request.productId);
    const limit = resolveLimit(request.limit);
    const result = await this.recommender.similar(productId, limit, this.requestLogger());
    const recommendationId = this.shown("similar", result.items, undefined, "GetSimilarProducts", result.unavailableSignals);
    return create(GetSimilarProductsResponseSchema, {
      items: result.items.map(toRecommendedItem),
      unavailableSignals: result.unavailableSignals,
      recommendationId,
    });
  }

  /**
   * One product's statistics as the trending consumer counted them: the exact number of events of
   * each type all time and over the trending window (one entry per type, CLICK, VIEW, LIKE, DISLIKE,
   * RATE), the window length, and the trending score now.
   *
   * @throws ConnectError INVALID_ARGUMENT for a malformed product_id; NOT_FOUND for a product in
   *   neither the in-memory catalog nor the live one; UNAVAILABLE when the trending store (or the
   *   product service, for a product newer than the models) is down.
   */
  async getProductStats(request: GetProductStatsRequest): Promise<GetProductStatsResponse> {
    const productId = requireProductId("product_id", request.productId);
    const known = this.deps.state.current().catalog.has(productId) || ((await this.deps.products?.exists(productId)) ?? false);
    if (!known) throw notFound("product", productId);
    let stats;
    try {
      stats = await this.deps.trending.productStats(productId);
    } catch (err) {
      this.requestLogger().warn({ err: err instanceof Error ? err.message : String(err) }, "trending store failed");
      throw new UnavailableError("trending store", { cause: err });
    }
    return create(GetProductStatsResponseSchema, {
      productId,
      allTime: typeCounts(stats.allTime),
      window: typeCounts(stats.window),
      windowSeconds: BigInt(stats.windowSeconds),
      trendingScore: stats.trendingScore,
    });
  }

  /**
   * The trending list; a category no product has gives an empty list.
   *
   * @throws ConnectError INVALID_ARGUMENT for a category over 64 characters or with control
   *   characters, or limit outside 0..100; UNAVAILABLE when the trending store is down.
   */
  async getTrending(request: GetTrendingRequest): Promise<GetTrendingResponse> {
    const category = optionalCategory(request.category);
    const limit = resolveLimit(request.limit);
    const items = await this.recommender.trendingList(category, limit, this.requestLogger());
    const recommendationId = this.shown("trending", items, undefined, "GetTrending", []);
    return create(GetTrendingResponseSchema, {
      items: items.map((t) => create(TrendingItemSchema, { ...t, categories: [...t.categories] })),
      recommendationId,
    });
  }

  /**
   * The operator's view of the serving side (see `readServingStatus`): the served NeuMF model with
   * its offline HR@10/NDCG@10 and age, the signals unavailable now, the engagement service's events
   * per second and outbox backlog, the trending consumer's lag and the recent problems. A part that
   * does not answer within `statusTimeoutMs` is left unset and listed in `recent_errors`.
   * Operators only.
   *
   * @throws ConnectError UNAUTHENTICATED without credentials; PERMISSION_DENIED for a user's
   *   token (service token only); UNAVAILABLE when the process was built without status sources.
   */
  async getServingStatus(_request: GetServingStatusRequest, context: HandlerContext): Promise<GetServingStatusResponse> {
    await this.deps.access?.requireService(context.requestHeader);
    if (!this.deps.status) throw new UnavailableError("serving status");
    const status = await readServingStatus(this.deps.status, this.deps.statusTimeoutMs ?? 2_000);
    const model = status.model;
    return create(GetServingStatusResponseSchema, {
      ...(model
        ? {
            model: create(ServedModelSchema, {
              version: model.version,
              ...(model.hr10 !== undefined ? { hrAt10: model.hr10 } : {}),
              ...(model.ndcg10 !== undefined ? { ndcgAt10: model.ndcg10 } : {}),
              validationUsers: BigInt(model.validationUsers),
              ageSeconds: Math.max(0, (status.atMs - model.createdAtMs) / 1000),
              createTime: timestampFromMs(model.createdAtMs),
            }),
          }
        : {}),
      unavailableSignals: [...status.unavailableSignals],
      ...(status.engagement
        ? {
            eventsPerSecond: status.engagement.eventsPerSecond,
            outboxPendingRows: BigInt(status.engagement.outboxPendingRows),
            outboxOldestRowAgeSeconds: status.engagement.outboxOldestRowAgeSeconds,
          }
        : {}),
      ...(status.consumerLag !== undefined ? { consumerLagMessages: BigInt(status.consumerLag) } : {}),
      recentErrors: status.recentErrors.map((e) =>
        create(RecentErrorSchema, { time: timestampFromMs(e.atMs), source: e.source, message: e.message, count: BigInt(e.count) }),
      ),
      statusTime: timestampFromMs(status.atMs),
    });
  }

  /**
   * Gives an answered list its recommendation id and queues its impression (when the list is not
   * empty; an empty list showed nothing). Notes an answer served without some signal in the recent
   * errors. Returns at once: the impression is written in the background.
   *
   * @returns the new recommendation id.
   */
  private shown(listKind: ListKind, items: readonly { readonly productId: string }[], userId: string | undefined, rpc: string, unavailable: readonly string[]): string {
    const now = Date.now();
    const recommendationId = newRecommendationId(now);
    if (items.length > 0) {
      this.deps.impressions?.record({ recommendationId, listKind, ...(userId ? { userId } : {}), productIds: items.map((i) => i.productId), shownAtMs: now });
    }
    if (unavailable.length > 0) this.recentErrors()?.record("signals", `${rpc} answered without ${unavailable.join(", ")}`);
    return recommendationId;
  }

  private recentErrors(): RecentErrors | undefined {
    return this.deps.status?.recentErrors;
  }

  /** The logger of the RPC being handled (its lines carry `requestId` and `rpc`), else the process logger. */
  private requestLogger(): Logger {
    return currentRequest()?.logger ?? this.deps.logger;
  }
}

/** The per-type counts as EventTypeCount entries, in EventType order. */
function typeCounts(counts: EngagementCounts): EventTypeCount[] {
  return ENGAGEMENT_KINDS.map((kind) => create(EventTypeCountSchema, { type: eventTypeOf(kind), count: BigInt(counts[kind]) }));
}

/** Validates an optional category: empty means none; at most 64 characters, no control characters. */
function optionalCategory(value: string): string | undefined {
  const category = value.trim();
  if (category === "") return undefined;
  if (category.length > MAX_CATEGORY_LENGTH) {
    throw invalidArgument("category", `must be at most ${MAX_CATEGORY_LENGTH} characters, got ${category.length}`);
  }
  if (/[\u0000-\u001f\u007f]/.test(category)) throw invalidArgument("category", "must not contain control characters");
  return category;
}

function toRecommendedItem(item: RankedItem): RecommendedItem {
  return create(RecommendedItemSchema, {
    productId: item.productId,
    title: item.title,
    score: item.score,
    signals: create(SignalScoresSchema, item.signals),
    reason: item.reason,
    categories: [...item.categories],
  });
}
