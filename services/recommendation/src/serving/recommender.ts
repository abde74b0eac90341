import type { Logger } from "pino";
import { NotFoundError, UnavailableError } from "../../../shared/src/domain-errors.js";
import type { EngagementKind } from "../../../shared/src/event-kinds.js";
import { eligibility, personalCandidates, similarCandidates, type Eligibility } from "./candidates/candidate-generation.js";
import { coldStartContributions, personalizedContributions, similarContributions } from "./domain/blend.js";
import { effectiveWeights, type BlendWeights } from "./domain/blend-weights.js";
import type { HistorySource } from "./domain/history-source.js";
import type { TrendingSource } from "./domain/trending-source.js";
import type { ProfileSource } from "./domain/profile-source.js";
import type { UserDirectory } from "./domain/user-directory.js";
import { normalizeSignals, rank, rankColumns, type RankedItem } from "./ranking/rank.js";
import type { ServingState, ServingStateHolder } from "./serving-state.js";
import type { CollaborativeModel } from "./domain/collaborative.js";
import type { UserProfile } from "./domain/user-profile.js";
import { LRUCache } from "lru-cache";
import { contentScores } from "./signals/content-signal.js";
import { OptionalSignal } from "./signals/optional-signal.js";
import { TrendingSignal } from "./signals/trending-signal.js";
import { HistoryProfileSource } from "./signals/history-profile-source.js";
import { blendCollaborative } from "./signals/collaborative-blend.js";
import { itemKnnScores, type ItemKnnScores } from "../models/item-knn.js";

/** Extra trending entries read beyond the limit, to make up for products left out (archived, moved). */
const TRENDING_SLACK = 20;
/** Tunables of the recommender (from config.ts). */
export interface RecommenderSettings {
  /** Default blend weights (0.8 / 0.2, 0.8 / 0.2: RECOMMEND_* in config.ts). */
  readonly weights: BlendWeights;
  /** A rating at or above this many stars is a positive (3.5). */
  readonly positiveRating: number;
  /** Event kinds that exclude a product from a user's recommendations (rate, like, dislike). */
  readonly seenKinds: ReadonlySet<EngagementKind>;
  /** Recent positives used for content candidates and scores (20). */
  readonly maxPositives: number;
  /** Events of history read per request (5000). */
  readonly historyMaxEvents: number;
  /**
   * Recency decay of the positives in the content score: the j-th most recent positive
   * (j = 0, 1, …) weighs `recencyDecay^j` (0.9).
   */
  readonly recencyDecay: number;
  /** Trending products added as candidates (200). */
  readonly trendingCandidates: number;
  /** Products the collaborative model contributes to the candidates (200). */
  readonly collaborativeCandidates: number;
  /** Most popular products added as candidates (200). */
  readonly popularCandidates: number;
  /**
   * Share of the collaborative signal given to NeuMF when the item-KNN model also scores the user;
   * the rest goes to item-KNN (see `blendCollaborative`; default 1: NeuMF only).
   */
  readonly neumfShare?: number;
  /** Recency decay d of the user's positives in the item-KNN score (see `itemKnnScores`; default 0.6). */
  readonly itemKnnDecay?: number;
  /** Item-KNN products added as candidates (default 200). */
  readonly itemKnnCandidates?: number;
  /** Trending products added to a seed's content neighbours in GetSimilarProducts (100). */
  readonly similarTrendingCandidates: number;
  /** How long a trending-store or collaborative-model call may take before it is skipped, in ms (300). */
  readonly signalTimeoutMs: number;
  /**
   * Users whose candidate base (see `Recommender.recommend`) is kept in memory until their profile,
   * the served state or the collaborative model changes, a count (default 10,000; 0 = none).
   */
  readonly personalCacheSize?: number;
}

/**
 * What a user's recommendations draw from before trending: the candidates of content, the
 * collaborative model and popularity (for no category and no exclusions), with their raw signals as
 * columns. It changes only when the user's profile, the served state or the NeuMF version does, so
 * it is computed once for them and re-ranked with the trending candidates of each request.
 */
interface PersonalBase {
  readonly profile: UserProfile;
  readonly state: ServingState;
  readonly modelVersion: string | undefined;
  readonly ids: readonly string[];
  readonly index: ReadonlySet<string>;
  readonly collaborative: Float64Array;
  readonly itemKnn: ItemKnnScores | undefined;
  readonly itemKnnColumn: Float64Array | undefined;
  readonly content: Float64Array;
  readonly popularity: Float64Array;
  readonly because: (id: string) => string | undefined;
}

/** What {@link Recommender.recommend} needs, already validated. */
export interface RecommendInput {
  /** A syntactically valid user id. */
  readonly userId: string;
  /** Number of items, 1 to 100. */
  readonly limit: number;
  /** Category filter (any case), or undefined for all. */
  readonly category?: string | undefined;
  /** Products never to return. */
  readonly exclude: ReadonlySet<string>;
  /** The request's blend weights (validated; see `resolveWeights`). */
  readonly weights: BlendWeights;
}

/** A user's recommendations. */
export interface RecommendResult {
  /** Best first. */
  readonly items: RankedItem[];
  /** "personalized" when the user has positives, else "cold_start". */
  readonly strategy: "personalized" | "cold_start";
  /** Signals that could not be used (their scores are 0), for example "trending". */
  readonly unavailableSignals: string[];
}

/** The neighbours of a product. */
export interface SimilarResult {
  /** Most similar first; never the seed. */
  readonly items: RankedItem[];
  /** Signals that could not be used. */
  readonly unavailableSignals: string[];
}

/** One hydrated trending entry. */
export interface TrendingItemResult {
  /** The product. */
  readonly productId: string;
  /** Its title ("" when the product is not in the in-memory catalog). */
  readonly title: string;
  /** Its decayed engagement count now. */
  readonly score: number;
  /** Its categories ([] when not in the catalog). */
  readonly categories: readonly string[];
}

/** Dependencies of {@link Recommender}. */
export interface RecommenderDeps {
  /** The state to serve (catalog, content model, snapshot, collaborative model). */
  readonly state: ServingStateHolder;
  /** Whether users exist. */
  readonly users: UserDirectory;
  /** Users' live histories (the profiles' source when `profiles` is not given). */
  readonly history: HistorySource;
  /**
   * Where profiles are read: in production the per-user state in Redis, falling back to `history`
   * (see `StoredProfileSource`); default: `history` on every call.
   */
  readonly profiles?: ProfileSource;
  /** The trending signal. */
  readonly trending: TrendingSource;
  /** Tunables. */
  readonly settings: RecommenderSettings;
  /** Logger of calls that pass none (each RPC passes its request's logger). */
  readonly logger: Logger;
}

/**
 * One recommendation request end to end: candidate generation (candidates/), signal reading
 * (signals/), blending and re-ranking (domain/blend.ts, ranking/) — DESIGN.md, "Scoring contract".
 * Free of the transport: it raises the shared domain errors (NotFoundError, UnavailableError),
 * which the RPC edge maps to status codes; request validation and proto mapping live in service.ts.
 */
export class Recommender {
  private readonly profiles: ProfileSource;
  private readonly bases: LRUCache<string, PersonalBase> | undefined;

  /** @param deps - state, user directory, history (or profiles), trending source, settings, fallback logger. */
  constructor(private readonly deps: RecommenderDeps) {
    this.profiles = deps.profiles ?? new HistoryProfileSource(deps.history, { ...deps.settings, maxEvents: deps.settings.historyMaxEvents });
    const cacheSize = deps.settings.personalCacheSize ?? 10_000;
    this.bases = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
  }

  /**
   * A user's recommendations.
   *
   * Candidate generation (see `personalCandidates`): the content neighbours of the user's most
   * recent positives (at most `maxPositives`), the collaborative model's top
   * `collaborativeCandidates` for the user (when the model knows the user), the top
   * `trendingCandidates` trending products and the top `popularCandidates` popular ones,
   * restricted to the catalog and the category, minus the user's seen products and the request's
   * exclusions.
   *
   * Signals, each normalised over the candidates by dividing by its maximum:
   * - content: the recency-weighted mean cosine similarity to the positives (see `contentScores`);
   * - collaborative: the collaborative model's score (NeuMF's predicted probability); 0 while no
   *   model is loaded or for a user the model has not seen (registered after training), and then
   *   its weight goes to content;
   * - trending: decayed engagement from the trending store;
   * - popularity: the Bayesian-average popularity (reported; blended only for cold start).
   *
   * Score: `relevance × (w_cf·cf + w_content·content) + trending_w × trending`; for a user without
   * positives (cold start), `relevance × popularity + trending_w × trending`. Ties are broken by
   * popularity, then by id.
   *
   * @param input - the validated request.
   * @param logger - the request's logger (signal warnings go there).
   * @throws NotFoundError when the user does not exist; UnavailableError when the user directory
   *   or the profile (per-user state and history alike) cannot be reached. A trending-store failure never fails the call.
   */
  async recommend(input: RecommendInput, logger: Logger = this.deps.logger): Promise<RecommendResult> {
    const { settings } = this.deps;
    const state = this.deps.state.current();
    const { catalog } = state;
    if (!(await this.deps.users.exists(input.userId))) throw new NotFoundError("user", input.userId);
    const profile = await this.profiles.profile(input.userId).catch((err: unknown) => {
      // A deleted user (the per-user state holds its tombstone): nothing cached about it is served again.
      if (err instanceof NotFoundError) this.forgetUser(input.userId, state);
      throw err;
    });
    const positives = profile.positives.filter((id) => catalog.has(id));
    const strategy = positives.length > 0 ? "personalized" : "cold_start";

    const category = input.category === undefined ? undefined : catalog.resolveCategory(input.category);
    if (input.category !== undefined && category === undefined) return { items: [], strategy, unavailableSignals: [] };
    const eligible = eligibility(state, profile.seen, input.exclude, category);

    const trending = this.trendingSignal(logger);
    const collaborative = strategy === "personalized" && state.collaborative?.knowsUser(input.userId) ? state.collaborative : undefined;
    if (category === undefined && input.exclude.size === 0) {
      return this.recommendFromBase(input, profile, positives, strategy, state, eligible, trending, collaborative, logger);
    }
    const trendingTop = await trending.top(category, settings.trendingCandidates);
    const knn = this.itemKnn(state, positives, strategy);
    const ids = personalCandidates({
      state,
      userId: input.userId,
      positives,
      collaborative,
      trendingTop,
      eligible,
      collaborativeCandidates: settings.collaborativeCandidates,
      popularCandidates: settings.popularCandidates,
      itemKnnRanked: knn?.ranked,
      itemKnnCandidates: settings.itemKnnCandidates ?? 200,
    });

    const trendingRaw = await trending.scores(ids, trendingTop);
    const popularityRaw = new Map(ids.map((id) => [id, state.popularity(id)] as const));
    const content = contentScores(state, ids, positives, settings.recencyDecay);
    const unavailable: string[] = [];
    let collaborativeRaw = new Map<string, number>();
    if (collaborative) {
      const cf = new OptionalSignal("collaborative", settings.signalTimeoutMs, logger);
      collaborativeRaw = await cf.read(() => collaborative.scores(input.userId, ids), new Map());
      if (cf.unavailable) unavailable.push("collaborative");
    }
    if (trending.unavailable) unavailable.unshift("trending");

    const blended = blendCollaborative(
      collaborative && !unavailable.includes("collaborative") ? Float64Array.from(ids, (id) => collaborativeRaw.get(id) ?? 0) : undefined,
      knn ? Float64Array.from(ids, (id) => knn.raw.get(id) ?? 0) : undefined,
      settings.neumfShare ?? 1,
    );
    const blendedRaw = new Map(blended ? ids.map((id, i) => [id, blended[i]!] as const) : []);
    const norm = normalizeSignals(ids, { collaborative: blendedRaw, content: content.raw, trending: trendingRaw, popularity: popularityRaw });
    const weights = effectiveWeights(input.weights, blended !== undefined);
    const items = rank(
      state,
      ids,
      norm,
      popularityRaw,
      input.limit,
      (_id, signals) => (strategy === "personalized" ? personalizedContributions(signals, weights) : coldStartContributions(signals, weights)),
      (id) => {
        const because = content.because(id);
        return { liked: because ? catalog.get(because)?.title : undefined, category };
      },
    );
    return { items, strategy, unavailableSignals: unavailable };
  }

  /**
   * {@link recommend} for a request without category or exclusions, with the same result: the
   * user's {@link PersonalBase} (from the cache, or computed and cached), plus the eligible trending
   * candidates it lacks, scored in columns (`rankColumns`).
   */
  /** Drops every cache entry of a deleted user: the directory's, the candidate base, the NeuMF ranking. */
  private forgetUser(userId: string, state: ServingState): void {
    this.deps.users.forget?.(userId);
    this.bases?.delete(userId);
    state.collaborative?.forgetUser?.(userId);
  }

  private async recommendFromBase(
    input: RecommendInput,
    profile: UserProfile,
    positives: readonly string[],
    strategy: "personalized" | "cold_start",
    state: ServingState,
    eligible: Eligibility,
    trending: TrendingSignal,
    collaborative: CollaborativeModel | undefined,
    logger: Logger,
  ): Promise<RecommendResult> {
    const { settings } = this.deps;
    const unavailable: string[] = [];
    const cf = new OptionalSignal("collaborative", settings.signalTimeoutMs, logger);
    let base = this.bases?.get(input.userId);
    if (!base || base.profile !== profile || base.state !== state || base.modelVersion !== collaborative?.version) {
      const knn = this.itemKnn(state, positives, strategy);
      const ids = personalCandidates({
        state,
        userId: input.userId,
        positives,
        collaborative,
        trendingTop: [],
        eligible,
        collaborativeCandidates: settings.collaborativeCandidates,
        popularCandidates: settings.popularCandidates,
        itemKnnRanked: knn?.ranked,
        itemKnnCandidates: settings.itemKnnCandidates ?? 200,
      });
      const content = contentScores(state, ids, positives, settings.recencyDecay);
      const cfRaw = collaborative ? await cf.read(() => collaborative.scores(input.userId, ids), new Map<string, number>()) : new Map<string, number>();
      base = {
        profile,
        state,
        modelVersion: collaborative?.version,
        ids,
        index: new Set(ids),
        collaborative: Float64Array.from(ids, (id) => cfRaw.get(id) ?? 0),
        itemKnn: knn,
        itemKnnColumn: knn ? Float64Array.from(ids, (id) => knn.raw.get(id) ?? 0) : undefined,
        content: Float64Array.from(ids, (id) => content.raw.get(id) ?? 0),
        popularity: Float64Array.from(ids, (id) => state.popularity(id)),
        because: content.because,
      };
      if (!cf.unavailable) this.bases?.set(input.userId, base);
    }
    const trendingTop = await trending.top(undefined, settings.trendingCandidates);
    const extras: string[] = [];
    for (const t of trendingTop) if (eligible(t.productId) && !base.index.has(t.productId)) extras.push(t.productId);
    const ids = extras.length === 0 ? base.ids : [...base.ids, ...extras];
    const trendingRaw = await trending.scores(ids, trendingTop);
    const n = ids.length;
    const baseSize = base.ids.length;
    const column = (head: Float64Array, tail: (id: string) => number): Float64Array => {
      if (extras.length === 0) return head;
      const out = new Float64Array(n);
      out.set(head);
      for (let i = baseSize; i < n; i++) out[i] = tail(ids[i]!);
      return out;
    };
    const extraContent = extras.length > 0 ? contentScores(state, extras, positives, settings.recencyDecay).raw : new Map<string, number>();
    const extraCf =
      collaborative && extras.length > 0 ? await cf.read(() => collaborative.scores(input.userId, extras), new Map<string, number>()) : new Map<string, number>();
    if (collaborative && cf.unavailable) unavailable.push("collaborative");
    if (trending.unavailable) unavailable.unshift("trending");
    const knn = base.itemKnn;
    const blended = blendCollaborative(
      collaborative && !unavailable.includes("collaborative") ? column(base.collaborative, (id) => extraCf.get(id) ?? 0) : undefined,
      knn && base.itemKnnColumn ? column(base.itemKnnColumn, (id) => knn.raw.get(id) ?? 0) : undefined,
      settings.neumfShare ?? 1,
    );
    const weights = effectiveWeights(input.weights, blended !== undefined);
    const because = base.because;
    const { catalog } = state;
    const items = rankColumns(
      state,
      {
        ids,
        collaborative: blended ?? new Float64Array(n),
        content: column(base.content, (id) => extraContent.get(id) ?? 0),
        popularity: column(base.popularity, (id) => state.popularity(id)),
        trending: Float64Array.from(ids, (id) => trendingRaw.get(id) ?? 0),
      },
      input.limit,
      (_id, signals) => (strategy === "personalized" ? personalizedContributions(signals, weights) : coldStartContributions(signals, weights)),
      (id) => {
        const liked = because(id);
        return { liked: liked ? catalog.get(liked)?.title : undefined, category: undefined };
      },
    );
    return { items, strategy, unavailableSignals: unavailable };
  }

  /**
   * The products most similar to a seed: `relevance × cosine + trending_w × trending` (0.8 / 0.2
   * by default) over the union of the seed's stored top-k content neighbours and the top
   * `similarTrendingCandidates` trending products (see `similarCandidates`); a product found by
   * only one list scores 0 on the other signal. Both signals are normalised over the union by
   * dividing by their maximum.
   *
   * @param productId - the seed (syntactically valid).
   * @param limit - number of items, 1 to 100.
   * @param logger - the request's logger.
   * @throws NotFoundError when the seed is not in the catalog.
   */
  async similar(productId: string, limit: number, logger: Logger = this.deps.logger): Promise<SimilarResult> {
    const { settings } = this.deps;
    const state = this.deps.state.current();
    const seed = state.catalog.get(productId);
    if (!seed) throw new NotFoundError("product", productId);
    const trending = this.trendingSignal(logger);
    const trendingTop = await trending.top(undefined, settings.similarTrendingCandidates);
    const candidates = similarCandidates(state, productId, trendingTop);
    const { ids } = candidates;
    const popularityRaw = new Map(ids.map((id) => [id, state.popularity(id)] as const));
    const norm = normalizeSignals(ids, {
      collaborative: new Map(),
      content: candidates.cosine,
      trending: candidates.trending,
      popularity: popularityRaw,
    });
    const items = rank(
      state,
      ids,
      norm,
      popularityRaw,
      limit,
      (_id, signals) => similarContributions(signals, settings.weights),
      () => ({ similarTo: seed.title }),
    );
    return { items, unavailableSignals: trending.unavailable ? ["trending"] : [] };
  }

  /**
   * The trending list, hydrated with titles and categories from the in-memory catalog; products no
   * longer in the catalog (archived) or no longer in the category are left out.
   *
   * @param category - a category (any case), or undefined for the whole catalog; a category no
   *   product has gives an empty list.
   * @param limit - number of items, 1 to 100.
   * @param logger - the request's logger.
   * @throws UnavailableError ("trending store") when the trending store fails or times out
   *   (trending is the whole answer here, so an empty list would hide the outage).
   */
  async trendingList(category: string | undefined, limit: number, logger: Logger = this.deps.logger): Promise<TrendingItemResult[]> {
    const { catalog } = this.deps.state.current();
    const resolved = category === undefined ? undefined : catalog.resolveCategory(category);
    if (category !== undefined && resolved === undefined) return [];
    const trending = this.trendingSignal(logger);
    // Redis keeps the scores of products since archived, or moved out of the category: they are
    // left out, so a few more are read than asked for.
    const top = await trending.top(resolved, limit + TRENDING_SLACK);
    if (trending.unavailable) throw new UnavailableError("trending store");
    const items: TrendingItemResult[] = [];
    for (const t of top) {
      if (items.length >= limit) break;
      const product = catalog.get(t.productId);
      if (!product || (resolved !== undefined && !catalog.inCategory(t.productId, resolved))) continue;
      items.push({ productId: t.productId, title: product.title, score: t.score, categories: product.categories });
    }
    return items;
  }

  /**
   * The user's item-KNN scores (see `itemKnnScores`) over their positives, newest first; undefined
   * for cold start or while the served snapshot has no item-KNN neighbours (stored before them) or
   * NeuMF holds the whole collaborative weight (`neumfShare` 1).
   */
  private itemKnn(state: ServingState, positives: readonly string[], strategy: "personalized" | "cold_start"): ItemKnnScores | undefined {
    const share = this.deps.settings.neumfShare ?? 1;
    if (strategy !== "personalized" || share >= 1 || !state.snapshot.itemNeighbors) return undefined;
    return itemKnnScores((id) => state.itemNeighbors(id), positives, this.deps.settings.itemKnnDecay ?? 0.6);
  }

  /** The trending signal of one request, guarded by the signal timeout; warnings go to `logger`. */
  private trendingSignal(logger: Logger): TrendingSignal {
    return new TrendingSignal(this.deps.trending, new OptionalSignal("trending", this.deps.settings.signalTimeoutMs, logger));
  }
}
