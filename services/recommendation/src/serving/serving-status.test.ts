import { describe, expect, it } from "vitest";
import { readServingStatus, RecentErrors, type ServingStatusSources } from "./serving-status.js";

function sources(overrides: Partial<ServingStatusSources> = {}): ServingStatusSources {
  return {
    model: () => ({ version: "20250101T000000Z-abc", hr10: 0.74, ndcg10: 0.49, validationUsers: 610, createdAtMs: 1_000 }),
    trendingStoreUp: () => true,
    engagementLoad: async () => ({ eventsPerSecond: 2.5, outboxPendingRows: 3, outboxOldestRowAgeSeconds: 0.2 }),
    consumerLag: async () => 7,
    recentErrors: new RecentErrors(() => 42),
    ...overrides,
  };
}

describe("readServingStatus", () => {
  it("assembles every part", async () => {
    const status = await readServingStatus(sources(), 1_000, () => 5_000);
    expect(status).toEqual({
      model: { version: "20250101T000000Z-abc", hr10: 0.74, ndcg10: 0.49, validationUsers: 610, createdAtMs: 1_000 },
      unavailableSignals: [],
      engagement: { eventsPerSecond: 2.5, outboxPendingRows: 3, outboxOldestRowAgeSeconds: 0.2 },
      consumerLag: 7,
      recentErrors: [],
      atMs: 5_000,
    });
  });

  it("lists the signals that cannot be used: no model, Redis down", async () => {
    const status = await readServingStatus(sources({ model: () => undefined, trendingStoreUp: () => false }), 1_000);
    expect(status.model).toBeUndefined();
    expect(status.unavailableSignals).toEqual(["collaborative", "trending"]);
    // Without NeuMF the item-KNN half still makes a collaborative signal.
    const knn = await readServingStatus(sources({ model: () => undefined, itemKnnServed: () => true }), 1_000);
    expect(knn.model).toBeUndefined();
    expect(knn.unavailableSignals).toEqual([]);
  });

  it("leaves out a part that fails or does not answer in time, and notes it", async () => {
    const s = sources({
      engagementLoad: () => Promise.reject(new Error("engagement service is unavailable")),
      consumerLag: () => new Promise<number>(() => undefined),
    });
    const started = Date.now();
    const status = await readServingStatus(s, 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(status.engagement).toBeUndefined();
    expect(status.consumerLag).toBeUndefined();
    expect(status.recentErrors.map((e) => [e.source, e.message]).sort()).toEqual([
      ["consumer-lag", "no answer within 50 ms"],
      ["engagement-status", "engagement service is unavailable"],
    ]);
  });
});
