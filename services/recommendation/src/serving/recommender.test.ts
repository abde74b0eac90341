import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, UnavailableError } from "../../../shared/src/domain-errors.js";
import { toConnectError } from "../../../shared/src/errors.js";
import type { Engagement } from "../../../shared/src/event-kinds.js";
import { Recommender, type RecommendInput } from "./recommender.js";
import type { RankedItem } from "./ranking/rank.js";
import { ServingState, ServingStateHolder } from "./serving-state.js";
import { computeItemNeighbors } from "../models/item-knn.js";
import {
  defaultSettings,
  FakeTrendingSource,
  MapHistorySource,
  servingStateFor,
  product,
  SetUserDirectory,
  silentLogger,
  TableCollaborativeModel,
} from "./testing/fakes.js";

const CATALOG = [
  product("1", "Toy Story (1995)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("2", "Toy Story 2 (1999)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("3", "Heat (1995)", ["Action", "Crime", "Thriller"]),
  product("4", "Heat, The (2013)", ["Action", "Comedy", "Crime"]),
  product("5", "Jumanji (1995)", ["Adventure", "Children", "Fantasy"]),
  product("6", "Casino (1995)", ["Crime", "Drama"]),
  product("7", "Sense and Sensibility (1995)", ["Drama", "Romance"]),
  product("8", "Toy Soldiers (1991)", ["Action", "Drama"]),
  product("9", "Finding Nemo (2003)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("10", "Grumpier Old Men (1995)", ["Comedy", "Romance"]),
];

/** n ratings of `value` for a product, by users r0…r(n-1). */
const ratings = (productId: string, n: number, value: number): Engagement[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `r${i}`, productId, kind: "rate" as const, value }));

const OPINIONS = [...ratings("7", 30, 4.5), ...ratings("6", 20, 4), ...ratings("3", 15, 4.5), ...ratings("10", 5, 3), ...ratings("1", 25, 4)];

const input = (userId: string, extra: Partial<RecommendInput> = {}): RecommendInput => ({
  userId,
  limit: 10,
  exclude: new Set(),
  weights: defaultSettings().weights,
  ...extra,
});

const ids = (items: readonly RankedItem[]): string[] => items.map((i) => i.productId);

function expectOrdered(items: readonly RankedItem[]): void {
  for (let i = 1; i < items.length; i++) expect(items[i]!.score).toBeLessThanOrEqual(items[i - 1]!.score);
}

describe("Recommender", () => {
  let history: MapHistorySource;
  let trending: FakeTrendingSource;
  let recommender: Recommender;

  beforeEach(() => {
    history = new MapHistorySource();
    trending = new FakeTrendingSource().set("5", 4, ["Adventure", "Children", "Fantasy"]).set("10", 8, ["Comedy", "Romance"]);
    recommender = new Recommender({
      state: servingStateFor(CATALOG, OPINIONS),
      users: new SetUserDirectory(new Set(["u1", "u2", "new"])),
      history,
      trending,
      settings: defaultSettings(),
      logger: silentLogger(),
    });
    history.record("u1", { productId: "1", kind: "rate", value: 5 });
  });

  describe("recommend", () => {
    it("fails with NOT_FOUND for an unknown user", async () => {
      const err = await recommender.recommend(input("ghost")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(toConnectError(err).code).toBe(Code.NotFound);
      expect(toConnectError(err).rawMessage).toBe('user "ghost" not found');
    });

    it("serves a user without history from popularity blended with trending (cold start)", async () => {
      const result = await recommender.recommend(input("new"));
      expect(result.strategy).toBe("cold_start");
      expect(result.unavailableSignals).toEqual([]);
      expectOrdered(result.items);
      for (const item of result.items) {
        expect(item.score).toBeCloseTo(0.8 * item.signals.popularity + 0.2 * item.signals.trending, 12);
        expect(item.signals.content).toBe(0);
        expect(item.signals.collaborative).toBe(0);
      }
      // Sense and Sensibility has the most and best ratings: popularity 1, no trending → 0.8.
      expect(result.items[0]).toMatchObject({ productId: "7", score: expect.closeTo(0.8, 12), reason: "popular" });
      // Jumanji has no ratings; it is a candidate only through trending (4 / 8 → 0.5): 0.2 × 0.5.
      const jumanji = result.items.find((i) => i.productId === "5")!;
      expect(jumanji).toMatchObject({ score: expect.closeTo(0.1, 12), reason: "trending now" });
      expect(jumanji.signals).toEqual({ collaborative: 0, content: 0, trending: 0.5, popularity: 0 });
    });

    it("ranks by content similarity to the user's positives, blended with trending", async () => {
      const result = await recommender.recommend(input("u1"));
      expect(result.strategy).toBe("personalized");
      expectOrdered(result.items);
      expect(result.items[0]).toMatchObject({ productId: "2", title: "Toy Story 2 (1999)", reason: "because you liked Toy Story (1995)" });
      expect(result.items[0]!.signals.content).toBe(1);
      expect(result.items[0]!.categories).toEqual(["Animation", "Children", "Comedy"]);
      expect(ids(result.items.slice(0, 3))).toContain("9");
      for (const item of result.items) {
        // No collaborative model: content takes the whole relevance weight.
        expect(item.signals.collaborative).toBe(0);
        expect(item.score).toBeCloseTo(0.8 * item.signals.content + 0.2 * item.signals.trending, 12);
      }
      expect(ids(result.items)).not.toContain("1");
    });

    it("uses the recency-weighted mean cosine and names the liked item that contributed most", async () => {
      history.record("u1", { productId: "3", kind: "like", value: 0 });
      const result = await recommender.recommend(input("u1"));
      const heat2013 = result.items.find((i) => i.productId === "4")!;
      expect(heat2013.reason).toBe("because you liked Heat (1995)");
      expect(result.items.find((i) => i.productId === "2")!.reason).toBe("because you liked Toy Story (1995)");
    });

    it("sees new events at once (live history)", async () => {
      expect(ids((await recommender.recommend(input("u1"))).items)).toContain("2");
      history.record("u1", { productId: "2", kind: "dislike", value: 0 });
      expect(ids((await recommender.recommend(input("u1"))).items)).not.toContain("2");
    });

    it("never returns rated, liked, disliked or excluded products", async () => {
      history.record("u2", { productId: "1", kind: "like", value: 0 });
      history.record("u2", { productId: "2", kind: "rate", value: 2 });
      history.record("u2", { productId: "9", kind: "dislike", value: 0 });
      history.record("u2", { productId: "7", kind: "click", value: 0 });
      const result = await recommender.recommend(input("u2", { limit: 100, exclude: new Set(["8", "10"]) }));
      expect(result.strategy).toBe("personalized");
      const got = ids(result.items);
      for (const id of ["1", "2", "9", "8", "10"]) expect(got).not.toContain(id);
      // A click alone does not exclude.
      expect(got).toContain("7");
    });

    it("keeps only the requested category (case-insensitive) and says so in reasons", async () => {
      const result = await recommender.recommend(input("u1", { category: "comedy", limit: 100 }));
      expect(result.items.length).toBeGreaterThan(0);
      for (const item of result.items) expect(item.categories).toContain("Comedy");
      expect(trending.calls.top).toContainEqual(["Comedy", 200]);
      const grumpier = result.items.find((i) => i.productId === "10")!;
      expect(grumpier.signals.trending).toBe(1);
      expect(grumpier.reason).toBe("trending in Comedy");
    });

    it("answers an empty list for a category no product has", async () => {
      const result = await recommender.recommend(input("u1", { category: "Westerns" }));
      expect(result).toEqual({ items: [], strategy: "personalized", unavailableSignals: [] });
    });

    it("applies the request's weights", async () => {
      const result = await recommender.recommend(input("u1", { weights: { relevance: 1, trending: 0, collaborative: 0.6, content: 0.4 } }));
      for (const item of result.items) expect(item.score).toBeCloseTo(item.signals.content, 12);
    });

    it("cuts the list at the limit", async () => {
      expect((await recommender.recommend(input("u1", { limit: 2 }))).items).toHaveLength(2);
    });

    it("serves without trending when the trending store fails, and reports it", async () => {
      trending.mode = "fail";
      const result = await recommender.recommend(input("u1"));
      expect(result.unavailableSignals).toEqual(["trending"]);
      expect(result.items[0]!.productId).toBe("2");
      for (const item of result.items) {
        expect(item.signals.trending).toBe(0);
        expect(item.score).toBeCloseTo(0.8 * item.signals.content, 12);
      }
    });

    it("serves without trending when the trending store hangs past the timeout", async () => {
      trending.mode = "hang";
      const cold = await recommender.recommend(input("new"));
      expect(cold.unavailableSignals).toEqual(["trending"]);
      expect(cold.items[0]!.productId).toBe("7");
    });

    it("skips trending products missing from the catalog", async () => {
      trending.set("999", 100);
      expect(ids((await recommender.recommend(input("new", { limit: 100 }))).items)).not.toContain("999");
    });
  });

  describe("collaborative signal", () => {
    // The model knows u1 (not u2): it likes Casino most, then Sense and Sensibility; neither is
    // reachable from u1's only positive (Toy Story) through content.
    const cf = new TableCollaborativeModel(new Map([["u1", new Map([["6", 0.9], ["7", 0.45], ["2", 0.3]])]]));
    const withCf = (): Recommender =>
      new Recommender({
        state: new ServingStateHolder(servingStateFor(CATALOG, OPINIONS).current().withCollaborative(cf)),
        users: new SetUserDirectory(new Set(["u1", "u2"])),
        history,
        trending,
        settings: defaultSettings(),
        logger: silentLogger(),
      });

    it("answers a request without category or exclusions from the cached candidate base exactly as the full path does", async () => {
      history.record("u2", { productId: "3", kind: "like", value: 0 });
      history.record("u2", { productId: "9", kind: "rate", value: 4.5 });
      history.record("u2", { productId: "10", kind: "dislike", value: 0 });
      const recommender = withCf();
      // An exclusion of a product outside the catalog changes nothing but takes the full path.
      const full = (userId: string) => recommender.recommend(input(userId, { exclude: new Set(["not-in-catalog"]) }));
      for (const userId of ["u1", "u2"]) {
        for (let round = 0; round < 2; round++) {
          expect(await recommender.recommend(input(userId))).toEqual(await full(userId));
          // Trending moves between requests: the base is re-ranked with the new scores.
          trending.set("8", 3 + round * 20, ["Action", "Drama"]);
        }
      }
    });

    it("keeps a user's candidate base while the profile object is the same, and rebuilds it when it changes", async () => {
      let profile = { positives: ["1"], seen: new Set(["1"]) };
      let reads = 0;
      const counting = new TableCollaborativeModel(new Map([["u1", new Map([["6", 0.9]])]]));
      const scores = counting.scores.bind(counting);
      counting.scores = async (userId, productIds) => ((reads += 1), scores(userId, productIds));
      const recommender = new Recommender({
        state: new ServingStateHolder(servingStateFor(CATALOG, OPINIONS).current().withCollaborative(counting)),
        users: new SetUserDirectory(new Set(["u1"])),
        history,
        profiles: { profile: async () => profile },
        trending: new FakeTrendingSource(),
        settings: defaultSettings(),
        logger: silentLogger(),
      });
      const first = await recommender.recommend(input("u1"));
      expect(await recommender.recommend(input("u1"))).toEqual(first);
      expect(reads).toBe(1);
      profile = { positives: ["1", "6"], seen: new Set(["1", "6"]) };
      const second = await recommender.recommend(input("u1"));
      expect(reads).toBe(2);
      expect(ids(second.items)).not.toContain("6");
    });

    it("adds the model's top items to the candidates and blends 0.8 × (0.6 × cf + 0.4 × content) + 0.2 × trending", async () => {
      const result = await withCf().recommend(input("u1"));
      expect(result.strategy).toBe("personalized");
      expectOrdered(result.items);
      const casino = result.items.find((i) => i.productId === "6")!;
      expect(casino.signals.collaborative).toBeCloseTo(1, 12);
      expect(casino.reason).toBe("people with similar taste watched this");
      for (const item of result.items) {
        const s = item.signals;
        expect(item.score).toBeCloseTo(0.8 * (0.6 * s.collaborative + 0.4 * s.content) + 0.2 * s.trending, 12);
      }
      expect(result.items.find((i) => i.productId === "7")!.signals.collaborative).toBeCloseTo(0.5, 12);
    });

    it("serves products the model does not know (added since its training) by content and trending, for a user it knows", async () => {
      // u1 is known to the model, which scores only 6, 7 and 2; Finding Nemo (9) shares Toy
      // Story's genres and tag, Jumanji (5) is trending; neither is in the model.
      const result = await withCf().recommend(input("u1"));
      const nemo = result.items.find((i) => i.productId === "9")!;
      expect(nemo.signals.collaborative).toBe(0);
      expect(nemo.signals.content).toBeGreaterThan(0);
      const jumanji = result.items.find((i) => i.productId === "5")!;
      expect(jumanji.signals.collaborative).toBe(0);
      expect(jumanji.signals.trending).toBeGreaterThan(0);
      for (const item of [nemo, jumanji]) {
        expect(item.score).toBeCloseTo(0.8 * 0.4 * item.signals.content + 0.2 * item.signals.trending, 12);
      }
    });

    it("gives content the whole relevance weight for a user the model has not seen", async () => {
      history.record("u2", { productId: "1", kind: "like", value: 0 });
      const result = await withCf().recommend(input("u2"));
      expect(result.strategy).toBe("personalized");
      for (const item of result.items) {
        expect(item.signals.collaborative).toBe(0);
        expect(item.score).toBeCloseTo(0.8 * item.signals.content + 0.2 * item.signals.trending, 12);
      }
      expect(result.items[0]!.reason).toBe("because you liked Toy Story (1995)");
    });
  });

  describe("similar", () => {
    it("blends 0.8 × cosine + 0.2 × trending over neighbours ∪ trending, never the seed", async () => {
      trending.set("7", 10, ["Drama", "Romance"]);
      const result = await recommender.similar("1", 100);
      expect(result.unavailableSignals).toEqual([]);
      expectOrdered(result.items);
      expect(ids(result.items)).not.toContain("1");
      expect(result.items[0]).toMatchObject({ productId: "2", reason: "similar to Toy Story (1995)" });
      for (const item of result.items) expect(item.score).toBeCloseTo(0.8 * item.signals.content + 0.2 * item.signals.trending, 12);
      // Sense and Sensibility shares no term with Toy Story: only the trending list found it.
      expect(result.items.find((i) => i.productId === "7")).toMatchObject({
        score: expect.closeTo(0.2, 12),
        reason: "trending now",
        signals: { collaborative: 0, content: 0, trending: 1, popularity: expect.any(Number) },
      });
      // Toy Soldiers is a neighbour that is not trending.
      expect(result.items.find((i) => i.productId === "8")!.signals.trending).toBe(0);
    });

    it("fails with NOT_FOUND for a product not in the catalog", async () => {
      const err = await recommender.similar("404", 10).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(toConnectError(err).code).toBe(Code.NotFound);
      expect(toConnectError(err).rawMessage).toBe('product "404" not found');
    });

    it("serves neighbours only when trending fails", async () => {
      trending.mode = "fail";
      const result = await recommender.similar("1", 5);
      expect(result.unavailableSignals).toEqual(["trending"]);
      expect(result.items[0]!.productId).toBe("2");
      expect(result.items[0]!.score).toBeCloseTo(0.8, 12);
    });

    it("finds neighbours of a product newer than the stored snapshot", async () => {
      const withNew = [...CATALOG, product("11", "Toy Story 4 (2019)", ["Animation", "Children", "Comedy"], ["pixar"])];
      const r = new Recommender({
        state: servingStateFor(withNew, OPINIONS, CATALOG),
        users: new SetUserDirectory(new Set()),
        history,
        trending,
        settings: defaultSettings(),
        logger: silentLogger(),
      });
      const got = ids((await r.similar("11", 3)).items);
      expect(got.slice(0, 2).sort()).toEqual(["1", "2"]);
    });
  });

  describe("the item-KNN half of the collaborative signal", () => {
    // Users who rated Toy Story (1) also rated Finding Nemo (9); fewer of them Casino (6).
    const coEngaged: Engagement[] = [
      ...["a", "b", "c", "d"].flatMap((u) => [
        { userId: u, productId: "1", kind: "rate" as const, value: 4 },
        { userId: u, productId: "9", kind: "rate" as const, value: 4 },
      ]),
      { userId: "e", productId: "1", kind: "rate", value: 4 },
      { userId: "e", productId: "6", kind: "rate", value: 4 },
    ];
    const withItemNeighbors = (): ServingStateHolder => {
      const snapshot = servingStateFor(CATALOG, OPINIONS).current().snapshot;
      return new ServingStateHolder(
        ServingState.create({ catalog: CATALOG, snapshot: { ...snapshot, itemNeighbors: computeItemNeighbors(coEngaged) } }),
      );
    };
    const make = (neumfShare: number) =>
      new Recommender({
        state: withItemNeighbors(),
        users: new SetUserDirectory(new Set(["u1"])),
        history,
        trending,
        settings: defaultSettings({ neumfShare, itemKnnDecay: 0.5 }),
        logger: silentLogger(),
      });

    it("scores the co-engaged products of the user's positives when NeuMF does not know the user, keeping the collaborative weight", async () => {
      for (const request of [input("u1"), input("u1", { category: "Comedy" })]) {
        const result = await make(0.5).recommend(request);
        const nemo = result.items.find((i) => i.productId === "9")!;
        expect(nemo.signals.collaborative).toBe(1);
        expect(result.items[0]!.productId).toBe("9");
        for (const item of result.items) {
          expect(item.score).toBeCloseTo(0.8 * (0.6 * item.signals.collaborative + 0.4 * item.signals.content) + 0.2 * item.signals.trending, 12);
        }
      }
      const casino = (await make(0.5).recommend(input("u1"))).items.find((i) => i.productId === "6")!;
      // cos(1, 6) = 1/√(5·1) against cos(1, 9) = 4/√(5·4): Casino scores half of Nemo.
      expect(casino.signals.collaborative).toBeCloseTo(0.5, 12);
    });

    it("is off with neumfShare 1 (NeuMF only): no collaborative score without NeuMF", async () => {
      const result = await make(1).recommend(input("u1"));
      expect(result.items.every((i) => i.signals.collaborative === 0)).toBe(true);
    });
  });

  describe("trendingList", () => {
    it("hydrates the trending store's list with titles and categories, leaving out products no longer in the catalog", async () => {
      trending.set("999", 1);
      expect(await recommender.trendingList(undefined, 10)).toEqual([
        { productId: "10", title: "Grumpier Old Men (1995)", score: 8, categories: ["Comedy", "Romance"] },
        { productId: "5", title: "Jumanji (1995)", score: 4, categories: ["Adventure", "Children", "Fantasy"] },
      ]);
      // Read with slack, then cut to the limit.
      expect(await recommender.trendingList(undefined, 1)).toHaveLength(1);
    });

    it("resolves the category case-insensitively and answers [] for an unknown one", async () => {
      expect((await recommender.trendingList("fantasy", 10)).map((t) => t.productId)).toEqual(["5"]);
      expect(trending.calls.top.at(-1)).toEqual(["Fantasy", 30]);
      const calls = trending.calls.top.length;
      expect(await recommender.trendingList("Westerns", 10)).toEqual([]);
      expect(trending.calls.top).toHaveLength(calls);
    });

    it("fails with UNAVAILABLE when the trending store is down", async () => {
      trending.mode = "fail";
      const err = await recommender.trendingList(undefined, 10).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(toConnectError(err).code).toBe(Code.Unavailable);
    });
  });
});
