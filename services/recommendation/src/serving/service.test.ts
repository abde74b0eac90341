import { Code, createClient, type Client } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { inMemoryTransport } from "../../../shared/src/in-memory-transport.js";
import { recommendationRegistration } from "./server.js";
import {
  defaultSettings,
  FakeTrendingSource,
  MapHistorySource,
  servingStateFor,
  product,
  SetUserDirectory,
  silentLogger,
} from "./testing/fakes.js";
import { failure } from "../../../../test/support/failure.js";

const CATALOG = [
  product("1", "Toy Story (1995)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("2", "Toy Story 2 (1999)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("3", "Heat (1995)", ["Action", "Crime", "Thriller"]),
  product("4", "Heat, The (2013)", ["Action", "Comedy", "Crime"]),
  product("5", "Jumanji (1995)", ["Adventure", "Children", "Fantasy"]),
  product("6", "Sense and Sensibility (1995)", ["Drama", "Romance"]),
];
const OPINIONS = [
  ...Array.from({ length: 10 }, (_, i) => ({ userId: `r${i}`, productId: "6", kind: "rate" as const, value: 4.5 })),
  ...Array.from({ length: 4 }, (_, i) => ({ userId: `r${i}`, productId: "3", kind: "rate" as const, value: 4 })),
];

describe("RecommendationService through an in-memory transport", () => {
  let client: Client<typeof RecommendationService>;
  let history: MapHistorySource;
  let trending: FakeTrendingSource;

  beforeEach(() => {
    history = new MapHistorySource();
    history.record("u1", { productId: "1", kind: "rate", value: 4.5 });
    trending = new FakeTrendingSource().set("5", 3, ["Adventure", "Children", "Fantasy"]);
    client = createClient(
      RecommendationService,
      inMemoryTransport(
        recommendationRegistration({
          state: servingStateFor(CATALOG, OPINIONS),
          users: new SetUserDirectory(new Set(["u1", "fresh"])),
          history,
          trending,
          settings: defaultSettings(),
          logger: silentLogger(),
        }),
      ),
    );
  });

  describe("GetRecommendations", () => {
    it("returns ranked items with signals, reasons and categories", async () => {
      const res = await client.getRecommendations({ userId: "u1", limit: 3 });
      expect(res.strategy).toBe("personalized");
      expect(res.unavailableSignals).toEqual([]);
      expect(res.items).toHaveLength(3);
      const first = res.items[0]!;
      expect(first).toMatchObject({ productId: "2", title: "Toy Story 2 (1999)", reason: "because you liked Toy Story (1995)", categories: ["Animation", "Children", "Comedy"] });
      expect(first.signals).toMatchObject({ collaborative: 0, content: 1, trending: 0 });
      expect(first.score).toBeCloseTo(0.8, 12);
    });

    it("uses 10 items for limit 0 and the cold start for a user without history", async () => {
      const res = await client.getRecommendations({ userId: "fresh" });
      expect(res.strategy).toBe("cold_start");
      expect(res.items.length).toBeLessThanOrEqual(10);
      expect(res.items[0]).toMatchObject({ productId: "6", reason: "popular" });
    });

    it("honours exclusions, the category filter and weights overrides", async () => {
      const excluded = await client.getRecommendations({ userId: "u1", excludeProductIds: ["2"], limit: 100 });
      expect(excluded.items.map((i) => i.productId)).not.toContain("2");
      expect(excluded.items.map((i) => i.productId)).not.toContain("1");
      const comedy = await client.getRecommendations({ userId: "u1", category: "COMEDY", limit: 100 });
      expect(comedy.items.map((i) => i.productId).sort()).toEqual(["2", "4"]);
      const trendingOnly = await client.getRecommendations({ userId: "u1", weights: { relevance: 0, trending: 1 } });
      expect(trendingOnly.items[0]).toMatchObject({ productId: "5", score: 1, reason: "trending now" });
    });

    it("reports the trending outage instead of failing", async () => {
      trending.mode = "fail";
      const res = await client.getRecommendations({ userId: "u1" });
      expect(res.unavailableSignals).toEqual(["trending"]);
      expect(res.items[0]!.productId).toBe("2");
    });

    it.each([
      [{ userId: "" }, "user_id: is required"],
      [{ userId: "bad id!" }, "user_id: may contain only letters, digits, '.', '_', ':' and '-'"],
      [{ userId: "u1", limit: 101 }, "limit: must be between 1 and 100, got 101"],
      [{ userId: "u1", limit: -1 }, "limit: must be between 1 and 100, got -1"],
      [{ userId: "u1", category: "x".repeat(65) }, "category: must be at most 64 characters, got 65"],
      [{ userId: "u1", excludeProductIds: ["ok", "not ok"] }, "exclude_product_ids[1]: may contain only letters, digits, '.', '_', ':' and '-'"],
      [{ userId: "u1", excludeProductIds: Array.from({ length: 1001 }, (_, i) => `p${i}`) }, "exclude_product_ids: must hold at most 1000 ids, got 1001"],
      [{ userId: "u1", weights: { relevance: 1.2 } }, "weights.relevance: must be between 0 and 1, got 1.2"],
      [{ userId: "u1", weights: { trending: -0.1 } }, "weights.trending: must be between 0 and 1, got -0.1"],
      [{ userId: "u1", weights: { relevance: 0.7, trending: 0.2 } }, "weights.relevance: relevance (0.7) and trending (0.2) must sum to 1"],
      [{ userId: "u1", weights: { collaborative: 0.7, content: 0.7 } }, "weights.collaborative: collaborative (0.7) and content (0.7) must sum to 1"],
    ])("rejects %j with INVALID_ARGUMENT", async (request, message) => {
      const err = await failure(client.getRecommendations(request));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(message);
    });

    it("validates before calling anything, and answers NOT_FOUND for an unknown user", async () => {
      const err = await failure(client.getRecommendations({ userId: "ghost" }));
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage).toBe('user "ghost" not found');
      trending.calls.top.length = 0;
      await failure(client.getRecommendations({ userId: "u1", limit: 500 }));
      expect(trending.calls.top).toEqual([]);
    });
  });

  describe("GetSimilarProducts", () => {
    it("returns neighbours without the seed", async () => {
      const res = await client.getSimilarProducts({ productId: "3", limit: 5 });
      expect(res.items.map((i) => i.productId)).not.toContain("3");
      expect(res.items[0]).toMatchObject({ productId: "4", reason: "similar to Heat (1995)" });
      expect(res.unavailableSignals).toEqual([]);
    });

    it("rejects a malformed id and answers NOT_FOUND for an unknown one", async () => {
      expect((await failure(client.getSimilarProducts({ productId: "" }))).rawMessage).toBe("product_id: is required");
      const err = await failure(client.getSimilarProducts({ productId: "999" }));
      expect(err.code).toBe(Code.NotFound);
      expect((await failure(client.getSimilarProducts({ productId: "1", limit: 1000 }))).code).toBe(Code.InvalidArgument);
    });
  });

  describe("GetTrending", () => {
    it("returns the hydrated list, [] for an unknown category", async () => {
      const res = await client.getTrending({});
      expect(res.items).toHaveLength(1);
      expect(res.items[0]).toMatchObject({ productId: "5", title: "Jumanji (1995)", score: 3, categories: ["Adventure", "Children", "Fantasy"] });
      expect((await client.getTrending({ category: "Westerns" })).items).toEqual([]);
      expect((await client.getTrending({ category: "children" })).items.map((i) => i.productId)).toEqual(["5"]);
    });

    it("rejects a malformed category and answers UNAVAILABLE when the store is down", async () => {
      const err = await failure(client.getTrending({ category: "c".repeat(65) }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toMatch(/^category: /);
      trending.mode = "fail";
      expect((await failure(client.getTrending({}))).code).toBe(Code.Unavailable);
    });
  });
});
