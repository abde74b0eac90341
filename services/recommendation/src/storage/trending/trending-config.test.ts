import { describe, expect, it } from "vitest";
import { loadTrendingConfig, trendingStoreOptions } from "./trending-config.js";

describe("trending config", () => {
  it("has documented defaults and maps them to store options", () => {
    expect(trendingStoreOptions(loadTrendingConfig({}))).toEqual({
      tauSeconds: 3_600,
      prefix: "recsys:",
      topN: 10_000,
      keyTtlSeconds: 604_800,
      dedupWindow: 20_000,
      statsTtlSeconds: 2_592_000,
      rebaseBound: 30,
      windowSeconds: 3_600,
      windowBucketSeconds: 60,
      userCap: 3,
      userCapWindowSeconds: 3_600,
      weights: { click: 1, view: 1, like: 2, dislike: 0, rate: 1 },
    });
  });

  it("reads overrides and rejects bad values by name", () => {
    const c = loadTrendingConfig({ TRENDING_TAU_SECONDS: "600", TRENDING_WEIGHT_DISLIKE: "0.5" });
    expect(c.TRENDING_TAU_SECONDS).toBe(600);
    expect(c.TRENDING_WEIGHT_DISLIKE).toBe(0.5);
    // The window defaults to τ.
    expect(trendingStoreOptions(c).windowSeconds).toBe(600);
    expect(trendingStoreOptions(loadTrendingConfig({ TRENDING_WINDOW_SECONDS: "900" })).windowSeconds).toBe(900);
    const capped = trendingStoreOptions(loadTrendingConfig({ TRENDING_USER_CAP: "5", TRENDING_USER_CAP_WINDOW_SECONDS: "600" }));
    expect([capped.userCap, capped.userCapWindowSeconds]).toEqual([5, 600]);
    expect(() => loadTrendingConfig({ TRENDING_USER_CAP: "0", TRENDING_USER_CAP_WINDOW_SECONDS: "0" })).toThrow(
      /TRENDING_USER_CAP.*TRENDING_USER_CAP_WINDOW_SECONDS/,
    );
    expect(trendingStoreOptions(loadTrendingConfig({ TRENDING_DEDUP_WINDOW: "50" })).dedupWindow).toBe(50);
    for (const bad of ["0", "-5", "2.5", "many"]) {
      expect(() => loadTrendingConfig({ TRENDING_DEDUP_WINDOW: bad })).toThrow(/invalid configuration: TRENDING_DEDUP_WINDOW/);
    }
    expect(() => loadTrendingConfig({ TRENDING_TAU_SECONDS: "0", TRENDING_WEIGHT_LIKE: "-1" })).toThrow(
      /TRENDING_TAU_SECONDS.*TRENDING_WEIGHT_LIKE/,
    );
  });
});
