import { z } from "zod";
import { loadConfig } from "../../../../shared/src/config.js";
import { DEFAULT_DEDUP_WINDOW, DEFAULT_USER_CAP, DEFAULT_USER_CAP_WINDOW_SECONDS, type RedisTrendingStoreOptions } from "./redis-trending-store.js";

const seconds = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
const weight = (def: number) => z.coerce.number().min(0).max(1_000).default(def);

/**
 * Environment variables of the trending statistics (shared by the Kafka consumer that writes them
 * and the recommendation service that reads them; both must agree on τ and the prefix):
 * - `TRENDING_TAU_SECONDS` (3600): decay time constant τ; an event counts exp(−age/τ).
 * - `TRENDING_KEY_PREFIX` (`recsys:`): prefix of every Redis key.
 * - `TRENDING_TOP_N` (10000): products kept per sorted set (overall and per category).
 * - `TRENDING_KEY_TTL_SECONDS` (604800 = 7 days): TTL of the sorted sets, refreshed on write.
 * - `TRENDING_DEDUP_WINDOW` (20000, 1 to 10,000,000): entries of each partition's dedup window,
 *   the (user_id, event_id) of the last that many events applied from the partition, so the same
 *   event re-published at a later offset (by the outbox relay, at most `OUTBOX_BATCH_SIZE` = 2000
 *   rows per relay and crash) is counted once. Bounded by count: about 120 bytes per entry per
 *   partition. Redeliveries of the same offset need no window (per-partition offset watermarks).
 * - `TRENDING_STATS_TTL_SECONDS` (2592000 = 30 days, 0 = never): TTL of the per-product stats hashes.
 * - `TRENDING_REBASE_BOUND` (30): re-base the landmark when (now − t0)/τ exceeds it.
 * - `TRENDING_WINDOW_SECONDS` (default τ): the window of GetProductStats' windowed counts.
 * - `TRENDING_WINDOW_BUCKET_SECONDS` (60): the window's resolution (one Redis hash per product and
 *   bucket); the window may span at most 1440 buckets (the store refuses to start otherwise).
 * - `TRENDING_USER_CAP` (3): the most weighted events of one user on one product that raise its
 *   trending score per cap window; later ones are counted in the stats only (one account cannot
 *   push a product up).
 * - `TRENDING_USER_CAP_WINDOW_SECONDS` (3600): the cap window, fixed windows of event time.
 * - `TRENDING_WEIGHT_CLICK` (1), `TRENDING_WEIGHT_VIEW` (1), `TRENDING_WEIGHT_LIKE` (2),
 *   `TRENDING_WEIGHT_DISLIKE` (0), `TRENDING_WEIGHT_RATE` (1): weight of one event of each type.
 */
export const trendingConfigSchema = z.object({
  TRENDING_TAU_SECONDS: seconds(3_600, 365 * 86_400).describe("Decay time constant τ of the trending scores, in seconds: an event counts exp(−age/τ). The consumer and the recommendation service must agree."),
  TRENDING_KEY_PREFIX: z.string().max(64).regex(/^[A-Za-z0-9:._-]*$/, "letters, digits, ':', '.', '_', '-'").default("recsys:").describe("Prefix of every Redis key of the trending statistics and the per-user state. The consumer and the recommendation service must agree."),
  TRENDING_TOP_N: z.coerce.number().int().min(1).max(10_000_000).default(10_000).describe("Products kept per trending sorted set (overall and per category)."),
  TRENDING_KEY_TTL_SECONDS: seconds(7 * 86_400, 365 * 86_400).describe("TTL of the trending sorted sets, refreshed on write, in seconds (604800 = 7 days)."),
  TRENDING_DEDUP_WINDOW: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_DEDUP_WINDOW).describe("Entries of each partition's dedup window: the (user_id, event_id) of the last that many events applied, so an event re-published at a later offset counts once; about 120 bytes per entry and partition."),
  TRENDING_STATS_TTL_SECONDS: z.coerce.number().int().min(0).max(10 * 365 * 86_400).default(30 * 86_400).describe("TTL of the per-product stats hashes, in seconds (2592000 = 30 days; 0 = never expire)."),
  TRENDING_REBASE_BOUND: z.coerce.number().min(1).max(600).default(30).describe("Re-base the decay landmark t0 when (now − t0)/τ exceeds this."),
  TRENDING_WINDOW_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).optional().describe("Window of GetProductStats' windowed counts, in seconds; default TRENDING_TAU_SECONDS."),
  TRENDING_WINDOW_BUCKET_SECONDS: seconds(60, 86_400).describe("Resolution of that window, in seconds (one Redis hash per product and bucket; at most 1440 buckets per window)."),
  TRENDING_USER_CAP: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_USER_CAP).describe("Most weighted events of one user on one product that raise its trending score per cap window; later ones count in the stats only."),
  TRENDING_USER_CAP_WINDOW_SECONDS: seconds(DEFAULT_USER_CAP_WINDOW_SECONDS, 30 * 86_400).describe("The per-user cap window (fixed windows of event time), in seconds."),
  TRENDING_WEIGHT_CLICK: weight(1).describe("Trending weight of one click."),
  TRENDING_WEIGHT_VIEW: weight(1).describe("Trending weight of one view."),
  TRENDING_WEIGHT_LIKE: weight(2).describe("Trending weight of one like."),
  TRENDING_WEIGHT_DISLIKE: weight(0).describe("Trending weight of one dislike."),
  TRENDING_WEIGHT_RATE: weight(1).describe("Trending weight of one rating."),
});

/** The validated trending configuration (see {@link trendingConfigSchema}). */
export type TrendingConfig = z.infer<typeof trendingConfigSchema>;

/**
 * Reads the trending configuration from the environment.
 *
 * @param env - the environment (default `process.env`).
 * @throws Error "invalid configuration: NAME: problem" naming every bad variable.
 */
export function loadTrendingConfig(env: NodeJS.ProcessEnv = process.env): TrendingConfig {
  return loadConfig(trendingConfigSchema, env);
}

/**
 * Turns the configuration into {@link RedisTrendingStoreOptions}.
 *
 * @param config - the validated configuration (any object holding the TRENDING_* fields).
 */
export function trendingStoreOptions(config: TrendingConfig): RedisTrendingStoreOptions {
  return {
    tauSeconds: config.TRENDING_TAU_SECONDS,
    prefix: config.TRENDING_KEY_PREFIX,
    topN: config.TRENDING_TOP_N,
    keyTtlSeconds: config.TRENDING_KEY_TTL_SECONDS,
    dedupWindow: config.TRENDING_DEDUP_WINDOW,
    statsTtlSeconds: config.TRENDING_STATS_TTL_SECONDS,
    rebaseBound: config.TRENDING_REBASE_BOUND,
    windowSeconds: config.TRENDING_WINDOW_SECONDS ?? config.TRENDING_TAU_SECONDS,
    windowBucketSeconds: config.TRENDING_WINDOW_BUCKET_SECONDS,
    userCap: config.TRENDING_USER_CAP,
    userCapWindowSeconds: config.TRENDING_USER_CAP_WINDOW_SECONDS,
    weights: {
      click: config.TRENDING_WEIGHT_CLICK,
      view: config.TRENDING_WEIGHT_VIEW,
      like: config.TRENDING_WEIGHT_LIKE,
      dislike: config.TRENDING_WEIGHT_DISLIKE,
      rate: config.TRENDING_WEIGHT_RATE,
    },
  };
}
