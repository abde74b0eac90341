import { createClient, type Client } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { RecommendationService } from "../../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { inMemoryTransport } from "../../../../shared/src/in-memory-transport.js";
import { recommendationRegistration } from "../server.js";
import { defaultSettings, FakeTrendingSource, MapHistorySource, product, servingStateFor, SetUserDirectory, silentLogger } from "../testing/fakes.js";
import { RecentErrors } from "../serving-status.js";
import type { ImpressionRecord } from "./impression-buffer.js";

// Every list answer carries a fresh recommendation_id and queues exactly one impression naming
// it, with the products in answer order; an empty list queues none.

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("recommendation ids and impressions of answered lists", () => {
  let client: Client<typeof RecommendationService>;
  let recorded: ImpressionRecord[];

  beforeEach(() => {
    recorded = [];
    const history = new MapHistorySource();
    history.record("u1", { productId: "1", kind: "rate", value: 4.5 });
    client = createClient(
      RecommendationService,
      inMemoryTransport(
        recommendationRegistration({
          state: servingStateFor(
            [
              product("1", "Toy Story (1995)", ["Animation", "Comedy"], ["pixar"]),
              product("2", "Toy Story 2 (1999)", ["Animation", "Comedy"], ["pixar"]),
              product("3", "Heat (1995)", ["Action", "Crime"]),
              product("4", "Jumanji (1995)", ["Adventure", "Children"]),
            ],
            [],
          ),
          users: new SetUserDirectory(new Set(["u1"])),
          history,
          trending: new FakeTrendingSource().set("4", 3, ["Adventure", "Children"]).set("3", 1, ["Action", "Crime"]),
          settings: defaultSettings(),
          logger: silentLogger(),
          impressions: { record: (i) => void recorded.push(i) },
        }),
      ),
    );
  });

  it("GetRecommendations: FOR_YOU with the user id", async () => {
    const before = Date.now();
    const res = await client.getRecommendations({ userId: "u1", limit: 2 });
    expect(res.recommendationId).toMatch(UUID_V7);
    expect(recorded).toEqual([
      { recommendationId: res.recommendationId, listKind: "for_you", userId: "u1", productIds: res.items.map((i) => i.productId), shownAtMs: expect.any(Number) },
    ]);
    expect(recorded[0]!.shownAtMs).toBeGreaterThanOrEqual(before);
    const again = await client.getRecommendations({ userId: "u1", limit: 2 });
    expect(again.recommendationId).not.toBe(res.recommendationId);
    expect(recorded).toHaveLength(2);
  });

  it("GetSimilarProducts and GetTrending: SIMILAR and TRENDING, anonymous", async () => {
    const similar = await client.getSimilarProducts({ productId: "1", limit: 2 });
    const trending = await client.getTrending({ limit: 2 });
    expect(recorded.map((r) => [r.recommendationId, r.listKind, r.userId, r.productIds])).toEqual([
      [similar.recommendationId, "similar", undefined, similar.items.map((i) => i.productId)],
      [trending.recommendationId, "trending", undefined, trending.items.map((i) => i.productId)],
    ]);
    expect(trending.items.map((i) => i.productId)).toEqual(["4", "3"]);
  });

  it("an empty list has an id and no impression", async () => {
    const res = await client.getTrending({ category: "Documentary" });
    expect(res.items).toEqual([]);
    expect(res.recommendationId).toMatch(UUID_V7);
    expect(recorded).toEqual([]);
  });
});

describe("RecentErrors", () => {
  it("folds repeats of the newest entry and keeps the 20 newest", () => {
    let now = 0;
    const errors = new RecentErrors(() => ++now);
    errors.record("impressions", "down");
    errors.record("impressions", "down");
    errors.record("signals", "GetTrending answered without trending");
    expect(errors.list()).toEqual([
      { atMs: 3, source: "signals", message: "GetTrending answered without trending", count: 1 },
      { atMs: 2, source: "impressions", message: "down", count: 2 },
    ]);
    for (let i = 0; i < 30; i++) errors.record("x", `m${i}`);
    expect(errors.list()).toHaveLength(20);
    expect(errors.list()[0]!.message).toBe("m29");
  });
});
