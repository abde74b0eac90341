import { describe, expect, it } from "vitest";
import { loadRecommendationConfig, recommenderSettings } from "./config.js";

describe("recommendation config", () => {
  it("has documented defaults", () => {
    const config = loadRecommendationConfig({});
    expect(config).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 50051,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_recommendation",
      REDIS_URL: "redis://127.0.0.1:6379",
      PRODUCT_SERVICE_ADDR: "127.0.0.1:50052",
      USER_SERVICE_ADDR: "127.0.0.1:50053",
      ENGAGEMENT_SERVICE_ADDR: "127.0.0.1:50054",
      MODEL_BUILD_ON_START: "if-missing",
    });
    const settings = recommenderSettings(config);
    // The weights chosen on the validation split (README, "Models and offline evaluation").
    expect(settings.weights).toEqual({ relevance: 0.8, trending: 0.2, collaborative: 0.8, content: 0.2 });
    expect(settings).toMatchObject({ neumfShare: 0.5, itemKnnDecay: 0.5, itemKnnCandidates: 200 });
    expect(settings.positiveRating).toBe(3.5);
    expect([...settings.seenKinds]).toEqual(["rate", "like", "dislike"]);
  });

  it("reads weights and seen event types from the environment", () => {
    const config = loadRecommendationConfig({
      RECOMMEND_RELEVANCE_WEIGHT: "0.7",
      RECOMMEND_TRENDING_WEIGHT: "0.3",
      RECOMMEND_CF_WEIGHT: "0",
      RECOMMEND_CONTENT_WEIGHT: "1",
      RECOMMEND_SEEN_EVENT_TYPES: "rate, CLICK",
    });
    expect(recommenderSettings(config).weights).toEqual({ relevance: 0.7, trending: 0.3, collaborative: 0, content: 1 });
    expect([...config.RECOMMEND_SEEN_EVENT_TYPES]).toEqual(["rate", "click"]);
  });

  it("fails fast naming the variable when weights do not sum to 1 or are out of range", () => {
    expect(() => loadRecommendationConfig({ RECOMMEND_TRENDING_WEIGHT: "0.3" })).toThrow(
      /invalid configuration: RECOMMEND_RELEVANCE_WEIGHT: relevance \(0\.8\) and trending \(0\.3\) must sum to 1/,
    );
    expect(() => loadRecommendationConfig({ RECOMMEND_CF_WEIGHT: "0.5" })).toThrow(/RECOMMEND_CF_WEIGHT: collaborative/);
    expect(() => loadRecommendationConfig({ RECOMMEND_CONTENT_WEIGHT: "1.5" })).toThrow(/RECOMMEND_CONTENT_WEIGHT/);
    expect(() => loadRecommendationConfig({ RECOMMEND_SEEN_EVENT_TYPES: "rate,purchase" })).toThrow(/RECOMMEND_SEEN_EVENT_TYPES: unknown event type "purchase"/);
    expect(() => loadRecommendationConfig({ PRODUCT_SERVICE_ADDR: "nohost" })).toThrow(/PRODUCT_SERVICE_ADDR/);
  });
});
