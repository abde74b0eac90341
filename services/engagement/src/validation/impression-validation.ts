import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Impression } from "../../../../gen/recsys/engagement/v1/impression_pb.js";
import { ListType } from "../../../../gen/recsys/engagement/v1/impression_pb.js";
import { invalidArgument } from "../../../shared/src/errors.js";
import { requireRecommendationId } from "../../../shared/src/recommendation-id.js";
import { requireId, requireProductId } from "../../../shared/src/validation.js";
import type { NewImpression } from "../data/impression-repository.js";
import { MAX_FUTURE_SKEW_MS } from "./record-event-validation.js";

/** Most impressions in one RecordImpressions call. */
export const MAX_IMPRESSIONS_PER_CALL = 1_000;

/** Most products one impression may list (the recommendation RPCs answer at most 100). */
export const MAX_IMPRESSION_ITEMS = 100;

/** Longest accepted GetClickThroughRates window, in seconds (24 hours). */
export const MAX_CTR_WINDOW_SECONDS = 86_400;

/** GetClickThroughRates window when none is asked for, in seconds (one hour). */
export const DEFAULT_CTR_WINDOW_SECONDS = 3_600;

const LIST_TYPES: readonly ListType[] = [ListType.FOR_YOU, ListType.SIMILAR, ListType.TRENDING];

/**
 * Validates the impressions of a RecordImpressions request, field by field; the first bad field is
 * named with its index. Rules: 1 to 1000 impressions; each `recommendation_id` a UUID (see
 * `requireRecommendationId`, kept in lower case); `list_type` FOR_YOU, SIMILAR or TRENDING;
 * `user_id` empty or an identifier (1 to 64 of letters, digits, '.', '_', ':', '-'); `product_ids`
 * at most 100 distinct product ids; `shown_time` set, not before 1970 and at most 5 minutes after
 * `nowMs`.
 *
 * @param impressions - the request's impressions.
 * @param nowMs - the current time, in ms since the epoch.
 * @returns the validated impressions, in request order.
 * @throws ConnectError INVALID_ARGUMENT "impressions: …" for a bad count, else
 *   "impressions[i].<field>: <problem>".
 */
export function validateImpressions(impressions: readonly Impression[], nowMs: number): NewImpression[] {
  if (impressions.length < 1 || impressions.length > MAX_IMPRESSIONS_PER_CALL) {
    throw invalidArgument("impressions", `must hold 1 to ${MAX_IMPRESSIONS_PER_CALL} impressions, got ${impressions.length}`);
  }
  return impressions.map((imp, i) => {
    const field = (name: string): string => `impressions[${i}].${name}`;
    if (imp.recommendationId === "") throw invalidArgument(field("recommendation_id"), "is required");
    const recommendationId = requireRecommendationId(field("recommendation_id"), imp.recommendationId);
    if (!LIST_TYPES.includes(imp.listType)) throw invalidArgument(field("list_type"), "must be one of FOR_YOU, SIMILAR, TRENDING");
    const userId = imp.userId === "" ? undefined : requireId(field("user_id"), imp.userId);
    if (imp.productIds.length > MAX_IMPRESSION_ITEMS) {
      throw invalidArgument(field("product_ids"), `must hold at most ${MAX_IMPRESSION_ITEMS} products, got ${imp.productIds.length}`);
    }
    imp.productIds.forEach((id, j) => requireProductId(`${field("product_ids")}[${j}]`, id));
    if (new Set(imp.productIds).size !== imp.productIds.length) throw invalidArgument(field("product_ids"), "must not repeat a product");
    if (!imp.shownTime) throw invalidArgument(field("shown_time"), "is required");
    const { seconds, nanos } = imp.shownTime;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) throw invalidArgument(field("shown_time"), "nanos must be between 0 and 999999999");
    if (seconds < 0n) throw invalidArgument(field("shown_time"), "must not be before 1970-01-01T00:00:00Z");
    if (seconds > BigInt(Math.floor((nowMs + MAX_FUTURE_SKEW_MS) / 1000)) + 1n || timestampMs(imp.shownTime) > nowMs + MAX_FUTURE_SKEW_MS) {
      throw invalidArgument(field("shown_time"), "must not be more than 5 minutes in the future");
    }
    return {
      recommendationId,
      listType: imp.listType,
      ...(userId ? { userId } : {}),
      productIds: [...imp.productIds],
      shownAt: new Date(timestampMs(imp.shownTime)),
    };
  });
}

/**
 * Resolves GetClickThroughRates' `window_seconds`: 0 means one hour.
 *
 * @param value - the request's window_seconds.
 * @returns the window, 1 to 86400 seconds.
 * @throws ConnectError INVALID_ARGUMENT "window_seconds: must be between 1 and 86400 (24 hours), or 0 for 3600, got N".
 */
export function resolveCtrWindowSeconds(value: number): number {
  if (value === 0) return DEFAULT_CTR_WINDOW_SECONDS;
  if (!Number.isInteger(value) || value < 1 || value > MAX_CTR_WINDOW_SECONDS) {
    throw invalidArgument("window_seconds", `must be between 1 and ${MAX_CTR_WINDOW_SECONDS} (24 hours), or 0 for ${DEFAULT_CTR_WINDOW_SECONDS}, got ${value}`);
  }
  return value;
}
