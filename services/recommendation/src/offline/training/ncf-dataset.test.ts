import { describe, expect, it } from "vitest";
import { buildNcfDataset } from "./ncf-dataset.js";
import { NegativeSampler } from "./negative-sampler.js";
import { mulberry32 } from "../../models/prng.js";

describe("buildNcfDataset", () => {
  const data = buildNcfDataset([
    { userId: "b", productId: "10", timestampMs: 5 },
    { userId: "a", productId: "2", timestampMs: 1 },
    { userId: "a", productId: "10", timestampMs: 3 },
    { userId: "a", productId: "2", timestampMs: 9 }, // a repeat: the pair counts once, at its latest time
    { userId: "a", productId: "7", timestampMs: 4 },
  ]);

  it("indexes ids in sorted order and keeps each pair once", () => {
    expect(data.userIds).toEqual(["a", "b"]);
    expect(data.itemIds).toEqual(["2", "7", "10"]);
    expect([...data.positiveUsers]).toEqual([0, 0, 0, 1]);
    expect([...data.positiveItems]).toEqual([0, 1, 2, 2]);
    expect(data.userItems.map((items) => [...items])).toEqual([[0, 1, 2], [2]]);
    expect(data.snapshot).toEqual({ users: 2, items: 3, interactions: 4, events: 5, lastEventTimeMs: 9 });
  });

  it("ranks each user's positives from the latest (0) back", () => {
    // User a: "2" at 9 (latest), "7" at 4, "10" at 3.
    expect([...data.positiveRecency]).toEqual([0, 1, 2, 0]);
  });

  it("refuses empty data and empty ids", () => {
    expect(() => buildNcfDataset([])).toThrow(/no interactions/);
    expect(() => buildNcfDataset([{ userId: "", productId: "1", timestampMs: 0 }])).toThrow(/empty/);
  });

  it("carries positive weights into the epoch samples (negatives weigh 1)", () => {
    const sampler = new NegativeSampler(data.userItems, 3);
    const weights = Float32Array.from([3, 2, 1.5, 4]);
    const epoch = sampler.epochSamples(data.positiveUsers, data.positiveItems, 1, mulberry32(1), weights);
    expect(epoch.weights).toBeDefined();
    for (let s = 0; s < epoch.labels.length; s++) {
      if (epoch.labels[s] === 0) expect(epoch.weights![s]).toBe(1);
      else {
        const p = [...data.positiveItems].findIndex((item, k) => item === epoch.items[s] && data.positiveUsers[k] === epoch.users[s]);
        expect(epoch.weights![s]).toBe(weights[p]);
      }
    }
    expect(sampler.epochSamples(data.positiveUsers, data.positiveItems, 1, mulberry32(1)).weights).toBeUndefined();
  });
});
