import { healthConfigSchema } from "../../shared/src/dependency-health.js";
import { metricsConfigSchema } from "../../shared/src/metrics.js";
import { z } from "zod";
import { DEFAULT_MODEL_DIR } from "./storage/ncf-artifacts/model-dir.js";
import { accessControlConfigShape } from "../../shared/src/access-control.js";
import { addressSchema, loadConfig, portSchema } from "../../shared/src/config.js";
import { DEFAULT_CATALOG_TOPIC } from "../../shared/src/catalog-topic.js";
import { kafkaConfigShape } from "../../shared/src/kafka-config.js";
import { weightsProblem } from "./serving/domain/blend-weights.js";
import { userStateConfigShape } from "./storage/user-state/user-state-config.js";
import type { RecommenderSettings } from "./serving/recommender.js";

const weight = (defaultValue: number) => z.coerce.number().min(0).max(1).default(defaultValue);
const count = (defaultValue: number, max: number) => z.coerce.number().int().min(1).max(max).default(defaultValue);

/**
 * Environment variables of the recommendation service, with their defaults (for a local `npm start`):
 *
 * - `HOST` (127.0.0.1), `PORT` (50051): where the gRPC server listens.
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (the gRPC port + 1000: 51051; "off" = none): where
 *   Prometheus metrics are served at `GET /metrics` (`services/shared/src/metrics.ts`).
 * - `HEALTH_CHECK_INTERVAL_MS` (1000) and `HEALTH_CHECK_TIMEOUT_MS` (1000): the Redis `PING` probe
 *   (`healthConfigSchema` in services/shared/src/dependency-health.ts), shown in
 *   `recsys_dependency_up`; readiness does not follow it (see main.ts).
 * - `DATABASE_URL` (postgres://recsys:recsys@127.0.0.1:5432/recsys_recommendation): the
 *   recommendation database (model snapshot).
 * - `REDIS_URL` (redis://127.0.0.1:6379): the trending statistics.
 * - `PRODUCT_SERVICE_ADDR` (127.0.0.1:50052), `USER_SERVICE_ADDR` (127.0.0.1:50053),
 *   `ENGAGEMENT_SERVICE_ADDR` (127.0.0.1:50054): the other services, `host:port`.
 * - `DEPENDENCY_TIMEOUT_MS` (5000): deadline of each call to another service, in ms.
 * - `RECOMMEND_RELEVANCE_WEIGHT` (0.8) and `RECOMMEND_TRENDING_WEIGHT` (0.2): the outer blend,
 *   each in [0, 1], summing to 1 (±1e-6); also the cosine/trending split of GetSimilarProducts.
 * - `RECOMMEND_CF_WEIGHT` (0.8) and `RECOMMEND_CONTENT_WEIGHT` (0.2): the split of relevance
 *   between the collaborative and content signals, each in [0, 1], summing to 1 (chosen on the
 *   validation split of `npm run eval`, README "Models and offline evaluation").
 * - `RECOMMEND_NEUMF_SHARE` (0.5, in [0, 1]): NeuMF's share of the collaborative signal; the rest
 *   is the session-aware item-KNN (`RECOMMEND_ITEM_KNN_DECAY`, 0.5; `RECOMMEND_ITEM_KNN_CANDIDATES`, 200).
 * - `RECOMMEND_POSITIVE_RATING` (3.5), `RECOMMEND_SEEN_EVENT_TYPES` (rate,like,dislike),
 *   `USER_STATE_MAX_SEEN` (5000), `USER_STATE_MAX_POSITIVES` (200): what makes a positive and a
 *   seen product, and the per-user state's bounds; shared with the trending consumer, which keeps
 *   that state (see `userStateConfigShape` in storage/user-state/user-state-config.ts).
 * - `USER_PROFILE_CACHE_SIZE` (10000, 0 = off): users whose profile read from the per-user state,
 *   and whose candidate base (content, NeuMF and popular candidates with their scores), are kept in
 *   memory until their state's version, the served state or the NeuMF version moves.
 * - `USER_STATE_READ_TIMEOUT_MS` (1000): how long a request waits for the per-user state in Redis
 *   before reading the history from EngagementService instead, in ms (longer than the signal
 *   timeout: on a busy process a short one would move load onto the far costlier fallback).
 * - `RECOMMEND_RECENT_POSITIVES` (20, 1 to 200): recent positives used for content candidates.
 * - `RECOMMEND_RECENCY_DECAY` (0.9, in (0, 1]): weight ratio between consecutive positives.
 * - `RECOMMEND_HISTORY_EVENTS` (5000, 1 to 10000): history events read per request from
 *   EngagementService while the per-user state is not ready (its fallback).
 * - `RECOMMEND_TRENDING_CANDIDATES` (200), `RECOMMEND_POPULAR_CANDIDATES` (200),
 *   `RECOMMEND_COLLABORATIVE_CANDIDATES` (200, the NeuMF top-k per user),
 *   `RECOMMEND_SIMILAR_TRENDING_CANDIDATES` (100): candidate list sizes, 1 to 1000.
 * - `RECOMMEND_SIGNAL_TIMEOUT_MS` (300): how long a trending or collaborative call may take
 *   before the answer is served without that signal, in ms.
 * - `MODEL_NEIGHBORS` (50, 1 to 500): content neighbours precomputed per product.
 * - `MODEL_ITEM_NEIGHBORS` (100, 1 to 1000): item-KNN neighbours precomputed per product.
 * - `MODEL_MAX_DOCUMENT_FREQUENCY` (0 = no cap): skip terms in more products than this when
 *   computing neighbours (see `NeighborOptions.maxDocumentFrequency`).
 * - `MODEL_BUILD_ON_START` (if-missing): `if-missing` builds a snapshot at start only when none is
 *   stored; `always` rebuilds at every start.
 * - `MODEL_DIR` (<repo>/.run/dev/models): where `npm run train` writes NeuMF artifacts
 *   (`<MODEL_DIR>/ncf/<version>/`); the newest valid one is served.
 * - `NCF_POLL_INTERVAL_MS` (10000, 0 = never): how often to look for a newer NeuMF artifact and
 *   swap to it while running.
 * - `NCF_CACHED_USERS` (5000, 0 = off) and `NCF_CACHE_MB` (256): users whose NeuMF scores over the
 *   whole catalog are kept in memory per model version, and the most memory they may take (8 bytes
 *   per item and user: 81 KB per user on ml-latest-small; with the HNSW index below, 12 bytes per
 *   retrieved item: 24 KB), so they are computed once per user and model and a candidate's
 *   collaborative score is a lookup.
 * - `NCF_ANN_MIN_ITEMS` (50000, 1 to 100,000,000): models that know at least this many items get an
 *   HNSW index over their GMF item embeddings at load (`GmfCandidateIndex`), and each user's NeuMF
 *   ranking re-scores the index's `NCF_ANN_POOL` (2000, 10 to 100,000) retrieved items instead of
 *   every item; smaller models (MovieLens ml-latest-small: 9,724 items) score every item exactly.
 * - `NCF_ANN_M` (16, 2 to 128) and `NCF_ANN_EF` (256, 10 to 100,000): the index's HNSW links per
 *   node and search breadth (`npm run bench:ann-recall` measures what they buy).
 * - `TRENDING_TOP_CACHE_MS` (100, 0 = off): how long a trending top list read from Redis is served
 *   from memory before it is read again (concurrent requests share one read).
 * - `USER_CACHE_SIZE` (10000, 0 = off) and `USER_CACHE_TTL_MS` (60000): users known to exist are
 *   remembered this long, so most requests make no UserService call (a deleted user is dropped
 *   from it as soon as the per-user state holds its tombstone, see serving/recommender.ts).
 * - `STARTUP_WAIT_MS` (60000): how long start-up retries an unavailable product or engagement
 *   service before giving up, in ms.
 * - `JWT_SECRET`, `SERVICE_TOKEN`, `AUTH_REQUIRED_FOR_READS` (true): access control (see
 *   `accessControlConfigShape` in services/shared/src/access-control.ts). GetRecommendations needs
 *   the user's access token or the service token; the service token is also sent on this service's
 *   calls to its peers (internal RPCs and account look-ups). In production mode both secrets must
 *   be real (services/shared/src/secret-policy.ts).
 * - `PUBLIC_RECOMMENDATION_READS` (false): `true` opens GetRecommendations to anonymous callers
 *   (a demo setting, which `npm start` uses); events and accounts stay guarded.
 */
export const configSchema = z
  .object({
    HOST: z.string().min(1).default("127.0.0.1").describe("Interface the gRPC server listens on (`0.0.0.0` in a container)."),
    PORT: portSchema.default(50051).describe("gRPC port (0 picks a free one)."),
    ...metricsConfigSchema,
    ...healthConfigSchema,
    DATABASE_URL: z.string().startsWith("postgres").default("postgres://recsys:recsys@127.0.0.1:5432/recsys_recommendation").describe("PostgreSQL URL of the recommendation database (the model snapshot; read at start-up)."),
    REDIS_URL: z.string().startsWith("redis").default("redis://127.0.0.1:6379").describe("Redis URL of the trending statistics and the per-user state (`rediss://` for TLS)."),
    PRODUCT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50052").describe("ProductService `host:port`."),
    USER_SERVICE_ADDR: addressSchema.default("127.0.0.1:50053").describe("UserService `host:port`."),
    ENGAGEMENT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50054").describe("EngagementService `host:port` (history while the per-user state is not ready)."),
    DEPENDENCY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000).describe("Deadline of each call to another service, in ms."),
    RECOMMEND_RELEVANCE_WEIGHT: weight(0.8).describe("Weight of personal relevance in the outer blend (also cosine's in GetSimilarProducts); with RECOMMEND_TRENDING_WEIGHT it sums to 1 (±1e-6)."),
    RECOMMEND_TRENDING_WEIGHT: weight(0.2).describe("Weight of trending in the outer blend; with RECOMMEND_RELEVANCE_WEIGHT it sums to 1."),
    RECOMMEND_CF_WEIGHT: weight(0.8).describe("Share of relevance from the collaborative signal (NeuMF and item-KNN); with RECOMMEND_CONTENT_WEIGHT it sums to 1."),
    RECOMMEND_CONTENT_WEIGHT: weight(0.2).describe("Share of relevance from the content (TF-IDF) signal; with RECOMMEND_CF_WEIGHT it sums to 1."),
    RECOMMEND_NEUMF_SHARE: weight(0.5).describe("NeuMF's share of the collaborative signal; the rest is the session-aware item-KNN (1 = NeuMF only)."),
    RECOMMEND_ITEM_KNN_DECAY: z.coerce.number().gt(0).max(1).default(0.5).describe("Weight ratio between consecutive positives in the item-KNN score (1 = all equal)."),
    RECOMMEND_ITEM_KNN_CANDIDATES: count(200, 1_000).describe("Item-KNN candidates per request."),
    ...userStateConfigShape,
    RECOMMEND_RECENT_POSITIVES: count(20, 200).describe("Recent positives a request uses for content candidates, a count."),
    RECOMMEND_RECENCY_DECAY: z.coerce.number().gt(0).max(1).default(0.9).describe("Weight ratio between consecutive positives (1 = all equal)."),
    RECOMMEND_HISTORY_EVENTS: count(5_000, 10_000).describe("History events read per request from EngagementService while the per-user state is not ready (the fallback)."),
    RECOMMEND_TRENDING_CANDIDATES: count(200, 1_000).describe("Trending candidates per request."),
    RECOMMEND_COLLABORATIVE_CANDIDATES: count(200, 1_000).describe("NeuMF candidates per user (its top k)."),
    RECOMMEND_POPULAR_CANDIDATES: count(200, 1_000).describe("Popularity candidates per request."),
    RECOMMEND_SIMILAR_TRENDING_CANDIDATES: count(100, 1_000).describe("Trending candidates of GetSimilarProducts."),
    RECOMMEND_SIGNAL_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(300).describe("How long a trending or collaborative signal may take before the answer is served without it, in ms."),
    MODEL_NEIGHBORS: count(50, 500).describe("Content neighbours precomputed per product."),
    MODEL_ITEM_NEIGHBORS: count(100, 1_000).describe("Item-KNN neighbours precomputed per product (cosine over who engaged with what)."),
    MODEL_MAX_DOCUMENT_FREQUENCY: z.coerce.number().int().min(0).default(0).describe("Skip terms found in more products than this when computing neighbours (0 = no cap)."),
    MODEL_BUILD_ON_START: z.enum(["if-missing", "always"]).default("if-missing").describe("`if-missing` builds a content/popularity snapshot at start only when none is stored; `always` rebuilds at every start."),
    MODEL_DIR: z.string().min(1).default(DEFAULT_MODEL_DIR).describe("Where `npm run train` writes NeuMF artifacts (`<MODEL_DIR>/ncf/<version>/`); the newest valid one is served."),
    NCF_POLL_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000).describe("How often to look for a newer NeuMF artifact and swap to it, in ms (0 = never)."),
    NCF_CACHED_USERS: z.coerce.number().int().min(0).max(10_000_000).default(5_000).describe("Users whose NeuMF scores are kept in memory per model version (0 = off)."),
    NCF_CACHE_MB: z.coerce.number().int().min(1).max(1_000_000).default(256).describe("Most memory those cached scores may take, in MiB (8 bytes per item and user: 81 KB per user on ml-latest-small)."),
    NCF_ANN_MIN_ITEMS: z.coerce.number().int().min(1).max(100_000_000).default(50_000).describe("Models that know at least this many items get an HNSW index over their GMF item embeddings; smaller ones score every item exactly."),
    NCF_ANN_POOL: z.coerce.number().int().min(10).max(100_000).default(2_000).describe("Items the HNSW index retrieves per user for NeuMF to re-score."),
    NCF_ANN_M: z.coerce.number().int().min(2).max(128).default(16).describe("HNSW links per node of that index."),
    NCF_ANN_EF: z.coerce.number().int().min(10).max(100_000).default(256).describe("HNSW search breadth of that index (`npm run bench:ann-recall` measures what it buys)."),
    TRENDING_TOP_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(100).describe("How long a trending top list read from Redis is served from memory, in ms (0 = off)."),
    USER_PROFILE_CACHE_SIZE: z.coerce.number().int().min(0).max(10_000_000).default(10_000).describe("Users whose profile and candidate base are kept in memory until their state, the served state or the NeuMF version moves (0 = off)."),
    USER_STATE_READ_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000).describe("How long a request waits for the per-user state in Redis before reading the history from EngagementService instead, in ms."),
    USER_CACHE_SIZE: z.coerce.number().int().min(0).max(10_000_000).default(10_000).describe("Users known to exist that are remembered, so most requests make no UserService call (0 = off)."),
    USER_CACHE_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000).describe("How long a known user is remembered, in ms."),
    KAFKA_BROKERS: kafkaConfigShape.KAFKA_BROKERS,
    KAFKA_CATALOG_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name").default(DEFAULT_CATALOG_TOPIC).describe("The topic ProductService announces catalog writes on; every replica follows it with a consumer group of its own and applies the changes to its in-memory catalog."),
    KAFKA_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name").default("engagement-events").describe("The engagement events topic: GetServingStatus reports the trending consumer group's lag on it."),
    KAFKA_TRENDING_GROUP_ID: z.string().min(1).max(255).default("recsys-trending").describe("The trending consumer group (the consumer's KAFKA_GROUP_ID) whose lag GetServingStatus reports."),
    IMPRESSION_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200).describe("How often the impressions of answered lists are written to EngagementService.RecordImpressions in the background, in ms (answers never wait for it)."),
    IMPRESSION_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(500).describe("Most impressions per RecordImpressions call."),
    IMPRESSION_BUFFER_SIZE: z.coerce.number().int().min(1).max(10_000_000).default(20_000).describe("Most impressions waiting in memory (while EngagementService is slow or down); beyond it new ones are dropped and counted in `recsys_impressions_dropped_total`."),
    CATALOG_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(100).describe("Longest wait of one fetch of catalog changes, in ms (bounds how late a product write is served)."),
    CATALOG_REBUILD_AFTER_CHANGES: z.coerce.number().int().min(1).max(100_000_000).default(500).describe("Catalog changes applied incrementally (idf of known terms held fixed) before the content model is vectorised again from scratch (fresh idf)."),
    STARTUP_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(60_000).describe("How long start-up retries an unavailable product or engagement service before giving up, in ms."),
    ...accessControlConfigShape,
    PUBLIC_RECOMMENDATION_READS: z
      .enum(["true", "false"], { message: "must be true or false" })
      .default("false")
      .transform((v) => v === "true")
      .describe("`true` opens GetRecommendations to anonymous callers (a demo setting, which `npm start` uses); events and accounts stay guarded."),
  })
  .superRefine((c, ctx) => {
    if (c.USER_STATE_MAX_POSITIVES < c.RECOMMEND_RECENT_POSITIVES) {
      ctx.addIssue({
        code: "custom",
        path: ["USER_STATE_MAX_POSITIVES"],
        message: `must be at least RECOMMEND_RECENT_POSITIVES (${c.RECOMMEND_RECENT_POSITIVES}), got ${c.USER_STATE_MAX_POSITIVES}`,
      });
    }
    const problem = weightsProblem({
      relevance: c.RECOMMEND_RELEVANCE_WEIGHT,
      trending: c.RECOMMEND_TRENDING_WEIGHT,
      collaborative: c.RECOMMEND_CF_WEIGHT,
      content: c.RECOMMEND_CONTENT_WEIGHT,
    });
    if (problem) {
      const variable = problem[0] === "relevance" ? "RECOMMEND_RELEVANCE_WEIGHT" : "RECOMMEND_CF_WEIGHT";
      ctx.addIssue({ code: "custom", path: [variable], message: problem[1] });
    }
  });

/** The validated configuration. */
export type RecommendationConfig = z.infer<typeof configSchema>;

/**
 * Reads and validates the configuration.
 *
 * @param env - the environment (default `process.env`).
 * @throws Error "invalid configuration: NAME: problem; …" naming each bad variable, for example
 *   weights that do not sum to 1.
 */
export function loadRecommendationConfig(env: NodeJS.ProcessEnv = process.env): RecommendationConfig {
  return loadConfig(configSchema, env);
}

/** The recommender's settings from the configuration. */
export function recommenderSettings(config: RecommendationConfig): RecommenderSettings {
  return {
    weights: {
      relevance: config.RECOMMEND_RELEVANCE_WEIGHT,
      trending: config.RECOMMEND_TRENDING_WEIGHT,
      collaborative: config.RECOMMEND_CF_WEIGHT,
      content: config.RECOMMEND_CONTENT_WEIGHT,
    },
    positiveRating: config.RECOMMEND_POSITIVE_RATING,
    seenKinds: config.RECOMMEND_SEEN_EVENT_TYPES,
    maxPositives: config.RECOMMEND_RECENT_POSITIVES,
    historyMaxEvents: config.RECOMMEND_HISTORY_EVENTS,
    recencyDecay: config.RECOMMEND_RECENCY_DECAY,
    trendingCandidates: config.RECOMMEND_TRENDING_CANDIDATES,
    collaborativeCandidates: config.RECOMMEND_COLLABORATIVE_CANDIDATES,
    popularCandidates: config.RECOMMEND_POPULAR_CANDIDATES,
    neumfShare: config.RECOMMEND_NEUMF_SHARE,
    itemKnnDecay: config.RECOMMEND_ITEM_KNN_DECAY,
    itemKnnCandidates: config.RECOMMEND_ITEM_KNN_CANDIDATES,
    similarTrendingCandidates: config.RECOMMEND_SIMILAR_TRENDING_CANDIDATES,
    signalTimeoutMs: config.RECOMMEND_SIGNAL_TIMEOUT_MS,
    personalCacheSize: config.USER_PROFILE_CACHE_SIZE,
  };
}
