import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { notFound } from "../../../shared/src/errors.js";
import { currentRequest } from "../../../shared/src/request-context.js";
import type { ModelHolder, RecommendationModels } from "./serving-state.js";
import {
  coldStartContributions,
  personalizedContributions,
  similarContributions,
  totalScore,
  type Contributions,
  type SignalValues,
} from "./domain/blend.js";
import { effectiveWeights, type BlendWeights } from "./domain/blend-weights.js";
import type { EngagementKind } from "../../../shared/src/event-kinds.js";
import type { HistorySource } from "./domain/history-source.js";
import { compareIds } from "../../../shared/src/ids.js";
import { normalizeByMax } from "./domain/normalize.js";
import { OptionalSignal } from "./signals/optional-signal.js";
import { reasonFor } from "./domain/reasons.js";
import type { TrendingSource } from "./domain/trending-source.js";
import { buildUserProfile } from "./domain/user-profile.js";
import type { UserDirectory } from "./domain/user-directory.js";

/** Tunables of the recommender (from config.ts). */
export interface RecommenderSettings {
  /** Default blend weights (0.8 / 0.2, 0.6 / 0.4). */
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
  /** Trending products added to a seed's content neighbours in GetSimilarProducts (100). */
  readonly similarTrendingCandidates: number;
  /** How long a trending-store or collaborative-model call may take before it is skipped, in ms (300). */
  readonly signalTimeoutMs: number;
}

/** One ranked product with its scores and reason. */
export interface RankedItem {
  /** The product. */
  readonly productId: string;
  /** Its display title. */
  readonly title: string;
  /** Its categories. */
  readonly categories: readonly string[];
  /** The final blended score in [0, 1]. */
  readonly score: number;
  /** The normalised per-signal scores. */
  readonly signals: SignalValues;
  /** A short human reason. */
  readonly reason: string;
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
  /** The models to serve. */
  readonly models: ModelHolder;
  /** Whether users exist. */
  readonly users: UserDirectory;
  /** Users' live histories. */
  readonly history: HistorySource;
  /** The trending signal. */
  readonly trending: TrendingSource;
  /** Tunables. */
  readonly settings: RecommenderSettings;
  /** Fallback logger outside RPCs (inside one, the request's logger is used). */
  readonly logger: Logger;
}

/**
 * Candidate generation and blending (DESIGN.md, "Scoring contract"). Pure domain logic over
 * injected sources; request validation and proto mapping live in service.ts.
 */
export class Recommender {
  constructor(private readonly deps: RecommenderDeps) {}

  /**
   * A user's recommendations.
   *
   * Candidate generation: the content neighbours of the user's most recent positives (at most
   * `maxPositives`), the collaborative model's top `collaborativeCandidates` for the user (when
   * the model knows the user), the top `trendingCandidates` trending products and the top
   * `popularCandidates` popular ones, restricted to the catalog and the category, minus the
   * user's seen products and the request's exclusions.
   *
   * Signals, each normalised over the candidates by dividing by its maximum:
   * - content: the recency-weighted mean cosine similarity to the positives,
   *   `Σ_j d^j·cos(c, p_j) / Σ_j d^j` (p_0 the most recent, d = `recencyDecay`), the item-based
   *   top-N aggregation of Deshpande and Karypis, "Item-based top-N recommendation algorithms",
   *   ACM TOIS 22(1), 2004, with recency weights;
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
   * @throws ConnectError NOT_FOUND when the user does not exist; UNAVAILABLE when the user
   *   directory or history cannot be reached. A trending-store failure never fails the call.
   */
  async recommend(input: RecommendInput): Promise<RecommendResult> {
    const { settings } = this.deps;
    const models = this.deps.models.current();
    const { catalog } = models;
    if (!(await this.deps.users.exists(input.userId))) throw notFound("user", input.userId);
    const events = await this.deps.history.recentEvents(input.userId, settings.historyMaxEvents);
    const profile = buildUserProfile(events, settings);
    const positives = profile.positives.filter((id) => catalog.has(id));
    const strategy = positives.length > 0 ? "personalized" : "cold_start";

    const category = input.category === undefined ? undefined : catalog.resolveCategory(input.category);
    if (input.category !== undefined && category === undefined) return { items: [], strategy, unavailableSignals: [] };

    const eligible = (id: string): boolean =>
      catalog.has(id) && !profile.seen.has(id) && !input.exclude.has(id) && (category === undefined || catalog.inCategory(id, category));

    const logger = this.logger();
    const trendingSignal = new OptionalSignal("trending", settings.signalTimeoutMs, logger);
    const candidates = new Set<string>();
    for (const p of positives) for (const n of models.neighbors(p)) if (eligible(n.productId)) candidates.add(n.productId);
    const collaborative = strategy === "personalized" && models.collaborative?.knowsUser(input.userId) ? models.collaborative : undefined;
    if (collaborative) {
      for (const id of collaborative.topCandidates(input.userId, settings.collaborativeCandidates, eligible)) candidates.add(id);
    }
    const trendingTop = await trendingSignal.read(() => this.deps.trending.top(category, settings.trendingCandidates), []);
    for (const t of trendingTop) if (eligible(t.productId)) candidates.add(t.productId);
    let popularAdded = 0;
    for (const p of models.popular()) {
      if (popularAdded >= settings.popularCandidates) break;
      if (eligible(p.productId)) {
        candidates.add(p.productId);
        popularAdded++;
      }
    }
    const ids = [...candidates];

    const trendingRaw = await this.trendingScores(ids, trendingTop, trendingSignal);
    const popularityRaw = new Map(ids.map((id) => [id, models.popularity(id)] as const));
    const content = contentScores(models, ids, positives, settings.recencyDecay);
    const unavailable: string[] = [];
    let collaborativeRaw = new Map<string, number>();
    if (collaborative) {
      const cf = new OptionalSignal("collaborative", settings.signalTimeoutMs, logger);
      collaborativeRaw = await cf.read(() => collaborative.scores(input.userId, ids), new Map());
      if (cf.unavailable) unavailable.push("collaborative");
    }
    if (trendingSignal.unavailable) unavailable.unshift("trending");

    const norm = {
      collaborative: normalizeByMax(ids, collaborativeRaw),
      content: normalizeByMax(ids, content.raw),
      trending: normalizeByMax(ids, trendingRaw),
      popularity: normalizeByMax(ids, popularityRaw),
    };
    const weights = effectiveWeights(input.weights, collaborative !== undefined && !unavailable.includes("collaborative"));
    const items = rank(models, ids, norm, popularityRaw, input.limit, (id, signals) => {
      const contributions = strategy === "personalized" ? personalizedContributions(signals, weights) : coldStartContributions(signals, weights);
      const because = content.because.get(id);
      return { contributions, reason: { liked: because ? catalog.get(because)?.title : undefined, category } };
    });
    return { items, strategy, unavailableSignals: unavailable };
  }

  /**
   * The products most similar to a seed: `relevance × cosine + trending_w × trending` (0.8 / 0.2
   * by default) over the union of the seed's stored top-k content neighbours and the top
   * `similarTrendingCandidates` trending products; a product found by only one list scores 0 on
   * the other signal. Both signals are normalised over the union by dividing by their maximum.
   *
   * @param productId - the seed (syntactically valid).
   * @param limit - number of items, 1 to 100.
   * @throws ConnectError NOT_FOUND when the seed is not in the catalog.
   */
  async similar(productId: string, limit: number): Promise<SimilarResult> {
    const { settings } = this.deps;
    const models = this.deps.models.current();
    const { catalog } = models;
    const seed = catalog.get(productId);
    if (!seed) throw notFound("product", productId);
    const trendingSignal = new OptionalSignal("trending", settings.signalTimeoutMs, this.logger());

    const cosineRaw = new Map<string, number>();
    for (const n of models.neighbors(productId)) {
      if (n.productId !== productId && catalog.has(n.productId)) cosineRaw.set(n.productId, n.score);
    }
    const trendingRaw = new Map<string, number>();
    const trendingTop = await trendingSignal.read(() => this.deps.trending.top(undefined, settings.similarTrendingCandidates), []);
    for (const t of trendingTop) {
      if (t.productId !== productId && catalog.has(t.productId)) trendingRaw.set(t.productId, t.score);
    }
    const ids = [...new Set([...cosineRaw.keys(), ...trendingRaw.keys()])];
    const popularityRaw = new Map(ids.map((id) => [id, models.popularity(id)] as const));
    const norm = {
      collaborative: new Map<string, number>(),
      content: normalizeByMax(ids, cosineRaw),
      trending: normalizeByMax(ids, trendingRaw),
      popularity: normalizeByMax(ids, popularityRaw),
    };
    const items = rank(models, ids, norm, popularityRaw, limit, (_id, signals) => ({
      contributions: similarContributions(signals, settings.weights),
      reason: { similarTo: seed.title },
    }));
    return { items, unavailableSignals: trendingSignal.unavailable ? ["trending"] : [] };
  }

  /**
   * The trending list, hydrated with titles and categories from the in-memory catalog.
   *
   * @param category - a category (any case), or undefined for the whole catalog; a category no
   *   product has gives an empty list.
   * @param limit - number of items, 1 to 100.
   * @throws ConnectError UNAVAILABLE when the trending store fails or times out (trending is the
   *   whole answer here, so an empty list would hide the outage).
   */
  async trendingList(category: string | undefined, limit: number): Promise<TrendingItemResult[]> {
    const { catalog } = this.deps.models.current();
    const resolved = category === undefined ? undefined : catalog.resolveCategory(category);
    if (category !== undefined && resolved === undefined) return [];
    const signal = new OptionalSignal("trending", this.deps.settings.signalTimeoutMs, this.logger());
    const top = await signal.read(() => this.deps.trending.top(resolved, limit), []);
    if (signal.unavailable) throw new ConnectError("trending store is unavailable, retry later", Code.Unavailable);
    return top.slice(0, limit).map((t) => {
      const product = catalog.get(t.productId);
      return { productId: t.productId, title: product?.title ?? "", score: t.score, categories: product?.categories ?? [] };
    });
  }

  /** Trending scores of the candidates: from the top list, plus one `scores` call for the rest. */
  private async trendingScores(
    ids: readonly string[],
    top: readonly { productId: string; score: number }[],
    signal: OptionalSignal,
  ): Promise<Map<string, number>> {
    const scores = new Map(top.map((t) => [t.productId, t.score] as const));
    const missing = ids.filter((id) => !scores.has(id));
    if (missing.length > 0) {
      const more = await signal.read(() => this.deps.trending.scores(missing), new Map<string, number>());
      for (const [id, score] of more) scores.set(id, score);
    }
    return scores;
  }

  private logger(): Logger {
    return currentRequest()?.logger ?? this.deps.logger;
  }
}

/**
 * Recency-weighted mean cosine of each candidate to the positives, and for each candidate the
 * positive that contributed most (the "similar to" of its reason).
 */
function contentScores(
  models: RecommendationModels,
  ids: readonly string[],
  positives: readonly string[],
  decay: number,
): { raw: Map<string, number>; because: Map<string, string> } {
  const raw = new Map<string, number>();
  const because = new Map<string, string>();
  if (positives.length === 0) return { raw, because };
  const vectors = positives.map((p, j) => ({ id: p, weight: decay ** j, vector: models.content.vector(p) }));
  const totalWeight = vectors.reduce((sum, v) => sum + v.weight, 0);
  for (const id of ids) {
    let sum = 0;
    let best = 0;
    for (const p of vectors) {
      const contribution = p.weight * models.content.similarity(id, p.id);
      sum += contribution;
      if (contribution > best) {
        best = contribution;
        because.set(id, p.id);
      }
    }
    raw.set(id, sum / totalWeight);
  }
  return { raw, because };
}

/** Scores, explains, orders (score, then raw popularity, then id) and cuts the candidates. */
function rank(
  models: RecommendationModels,
  ids: readonly string[],
  norm: Record<keyof SignalValues, ReadonlyMap<string, number>>,
  popularityRaw: ReadonlyMap<string, number>,
  limit: number,
  blend: (id: string, signals: SignalValues) => { contributions: Contributions; reason: Parameters<typeof reasonFor>[1] },
): RankedItem[] {
  const scored = ids.map((id) => {
    const signals: SignalValues = {
      collaborative: norm.collaborative.get(id) ?? 0,
      content: norm.content.get(id) ?? 0,
      trending: norm.trending.get(id) ?? 0,
      popularity: norm.popularity.get(id) ?? 0,
    };
    const { contributions, reason } = blend(id, signals);
    return { id, signals, contributions, score: totalScore(contributions), reason };
  });
  scored.sort(
    (a, b) => b.score - a.score || (popularityRaw.get(b.id) ?? 0) - (popularityRaw.get(a.id) ?? 0) || compareIds(a.id, b.id),
  );
  return scored.slice(0, limit).map((s) => {
    const product = models.catalog.get(s.id)!;
    return {
      productId: s.id,
      title: product.title,
      categories: product.categories,
      score: s.score,
      signals: s.signals,
      reason: reasonFor(s.contributions, s.reason),
    };
  });
}
