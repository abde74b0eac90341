import { Code, ConnectError } from "@connectrpc/connect";
import type { CollaborativeModel } from "../domain/collaborative.js";
import { pino, type Logger } from "pino";
import { ContentModel } from "../../models/content/content-model.js";
import type { Engagement } from "../../../../shared/src/event-kinds.js";
import type { HistoryEvent, HistorySource } from "../domain/history-source.js";
import type { ProductDirectory } from "../domain/product-directory.js";
import type { RecommenderSettings } from "../recommender.js";
import type { EngagementCounts } from "../../../../shared/src/event-kinds.js";
import type { ProductStatsEntry, TrendingEntry, TrendingSource } from "../domain/trending-source.js";
import type { UserDirectory } from "../domain/user-directory.js";
import type { CatalogProduct } from "../../models/catalog.js";
import { computePopularity, OpinionAccumulator } from "../../models/popularity.js";
import { ServingStateHolder, ServingState } from "../serving-state.js";

/** A silent logger for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Builds a catalog product for tests. */
export function product(productId: string, title: string, categories: string[], tags: string[] = []): CatalogProduct {
  return { productId, title, categories, tags, description: "" };
}

/** Default recommender settings (the config defaults). */
export function defaultSettings(overrides: Partial<RecommenderSettings> = {}): RecommenderSettings {
  return {
    weights: { relevance: 0.8, trending: 0.2, collaborative: 0.6, content: 0.4 },
    positiveRating: 3.5,
    seenKinds: new Set(["rate", "like", "dislike"]),
    maxPositives: 20,
    historyMaxEvents: 5000,
    recencyDecay: 0.9,
    trendingCandidates: 200,
    collaborativeCandidates: 200,
    popularCandidates: 200,
    similarTrendingCandidates: 100,
    signalTimeoutMs: 200,
    ...overrides,
  };
}

/**
 * Builds served models in memory (content neighbours computed, popularity from `opinions`), the
 * way a stored snapshot would give them.
 *
 * @param products - the catalog.
 * @param opinions - events for popularity, in acceptance order.
 * @param snapshotProducts - the products the snapshot's neighbour lists cover (default all), to
 *   simulate products newer than the snapshot.
 */
export function servingStateFor(
  products: readonly CatalogProduct[],
  opinions: readonly Engagement[] = [],
  snapshotProducts: readonly CatalogProduct[] = products,
): ServingStateHolder {
  const accumulator = new OpinionAccumulator();
  accumulator.add(opinions);
  const neighbors = ContentModel.build(snapshotProducts).neighbors({ k: 50 });
  const snapshot = {
    stats: { productCount: snapshotProducts.length, eventCount: accumulator.events, durationMs: 1 },
    neighbors,
    popularity: computePopularity(accumulator.values()),
  };
  return new ServingStateHolder(ServingState.create({ catalog: products, snapshot }));
}

/** A {@link ProductDirectory} over a set of ids, that can be told to fail. */
export class SetProductDirectory implements ProductDirectory {
  /** Whether calls reject as if the product service were down. */
  down = false;

  /** @param products - the existing product ids (mutable). */
  constructor(readonly products: Set<string>) {}

  async exists(productId: string): Promise<boolean> {
    if (this.down) throw new ConnectError("product service is unavailable, retry later", Code.Unavailable);
    return this.products.has(productId);
  }
}

/** A {@link UserDirectory} over a set of ids. */
export class SetUserDirectory implements UserDirectory {
  /** @param users - the existing user ids (mutable). */
  constructor(readonly users: Set<string>) {}

  async exists(userId: string): Promise<boolean> {
    return this.users.has(userId);
  }
}

/** A {@link HistorySource} over a Map of per-user events, newest first; `record` prepends. */
export class MapHistorySource implements HistorySource {
  readonly events = new Map<string, HistoryEvent[]>();

  /** Records an event as the user's newest. */
  record(userId: string, event: HistoryEvent): void {
    this.events.set(userId, [event, ...(this.events.get(userId) ?? [])]);
  }

  async recentEvents(userId: string, maxEvents: number): Promise<HistoryEvent[]> {
    return (this.events.get(userId) ?? []).slice(0, maxEvents);
  }
}

/**
 * A {@link TrendingSource} over a Map of scores, with per-category lists, that can be told to fail
 * or hang.
 */
export class FakeTrendingSource implements TrendingSource {
  /** Product id → decayed score. */
  readonly scoresById = new Map<string, number>();
  /** Product id → categories (for `top(category)`). */
  readonly categoriesById = new Map<string, readonly string[]>();
  /** "ok", "fail" (reject) or "hang" (never settle). */
  mode: "ok" | "fail" | "hang" = "ok";
  /** Product id → exact counts (all time; the window counts are the same in this fake). */
  readonly countsById = new Map<string, EngagementCounts>();
  /** Calls received. */
  readonly calls: { top: [string | undefined, number][]; scores: string[][]; productStats: string[] } = {
    top: [],
    scores: [],
    productStats: [],
  };

  /** Sets a product's score (and categories). */
  set(productId: string, score: number, categories: readonly string[] = []): this {
    this.scoresById.set(productId, score);
    this.categoriesById.set(productId, categories);
    return this;
  }

  async top(category: string | undefined, limit: number): Promise<TrendingEntry[]> {
    this.calls.top.push([category, limit]);
    await this.gate();
    return [...this.scoresById]
      .filter(([id]) => category === undefined || (this.categoriesById.get(id) ?? []).includes(category))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([productId, score]) => ({ productId, score }));
  }

  async scores(productIds: string[]): Promise<Map<string, number>> {
    this.calls.scores.push([...productIds]);
    await this.gate();
    const out = new Map<string, number>();
    for (const id of productIds) {
      const score = this.scoresById.get(id);
      if (score !== undefined) out.set(id, score);
    }
    return out;
  }

  async productStats(productId: string): Promise<ProductStatsEntry> {
    this.calls.productStats.push(productId);
    await this.gate();
    const counts = this.countsById.get(productId) ?? { click: 0, view: 0, like: 0, dislike: 0, rate: 0 };
    return { allTime: counts, window: counts, windowSeconds: 3600, trendingScore: this.scoresById.get(productId) ?? 0 };
  }

  private gate(): Promise<void> {
    if (this.mode === "fail") return Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }));
    if (this.mode === "hang") return new Promise(() => undefined);
    return Promise.resolve();
  }
}

/**
 * A {@link CollaborativeModel} over a fixed table of scores per user (users absent from the table
 * are unknown to the model), for tests of the blend; the NeuMF-backed one is NcfCollaborativeModel.
 */
export class TableCollaborativeModel implements CollaborativeModel {
  readonly version = "test";

  /** @param table - user id → product id → score. */
  constructor(private readonly table: ReadonlyMap<string, ReadonlyMap<string, number>>) {}

  knowsUser(userId: string): boolean {
    return this.table.has(userId);
  }

  topCandidates(userId: string, k: number, eligible: (productId: string) => boolean): string[] {
    const scores = [...(this.table.get(userId) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
    return scores.map(([id]) => id).filter(eligible).slice(0, k);
  }

  async scores(userId: string, productIds: readonly string[]): Promise<Map<string, number>> {
    const row = this.table.get(userId);
    return new Map(productIds.flatMap((id) => (row?.has(id) ? [[id, row.get(id) as number] as const] : [])));
  }
}
