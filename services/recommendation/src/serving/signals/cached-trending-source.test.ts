import { describe, expect, it } from "vitest";
import type { ProductStatsEntry, TrendingEntry, TrendingSource } from "../domain/trending-source.js";
import { CachedTrendingSource } from "./cached-trending-source.js";

/** A store that counts its reads and can be told to fail. */
class CountingStore implements TrendingSource {
  topCalls = 0;
  fail = false;
  score = 1;
  async top(category: string | undefined, limit: number): Promise<TrendingEntry[]> {
    this.topCalls++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.fail) throw new Error("connection is closed");
    return [{ productId: `${category ?? "all"}-${limit}`, score: this.score }];
  }
  async scores(productIds: string[]): Promise<Map<string, number>> {
    return new Map(productIds.map((id) => [id, 2] as const));
  }
  async productStats(): Promise<ProductStatsEntry> {
    throw new Error("not used");
  }
}

describe("CachedTrendingSource", () => {
  it("serves a top list from memory, per category and length, within ttlMs", async () => {
    const store = new CountingStore();
    const cached = new CachedTrendingSource(store, { ttlMs: 60_000 });
    expect(await cached.top(undefined, 10)).toEqual([{ productId: "all-10", score: 1 }]);
    store.score = 5;
    expect(await cached.top(undefined, 10)).toEqual([{ productId: "all-10", score: 1 }]);
    expect(await cached.top("Comedy", 10)).toEqual([{ productId: "Comedy-10", score: 5 }]);
    expect(await cached.top(undefined, 20)).toEqual([{ productId: "all-20", score: 5 }]);
    expect(store.topCalls).toBe(3);
  });

  it("reads a list again once ttlMs has passed", async () => {
    const store = new CountingStore();
    const cached = new CachedTrendingSource(store, { ttlMs: 20 });
    await cached.top(undefined, 10);
    store.score = 5;
    await new Promise((r) => setTimeout(r, 100));
    expect(await cached.top(undefined, 10)).toEqual([{ productId: "all-10", score: 5 }]);
    expect(store.topCalls).toBe(2);
  });

  it("shares one read between concurrent requests and caches no failure", async () => {
    const store = new CountingStore();
    const cached = new CachedTrendingSource(store, { ttlMs: 60_000 });
    await Promise.all([cached.top(undefined, 10), cached.top(undefined, 10), cached.top(undefined, 10)]);
    expect(store.topCalls).toBe(1);
    store.fail = true;
    await expect(cached.top("Drama", 10)).rejects.toThrow("connection is closed");
    store.fail = false;
    expect(await cached.top("Drama", 10)).toEqual([{ productId: "Drama-10", score: 1 }]);
    expect(store.topCalls).toBe(3);
  });

  it("reads through with ttlMs 0, and always for per-product scores", async () => {
    const store = new CountingStore();
    const cached = new CachedTrendingSource(store, { ttlMs: 0 });
    await cached.top(undefined, 10);
    await cached.top(undefined, 10);
    expect(store.topCalls).toBe(2);
    expect(await cached.scores(["a"])).toEqual(new Map([["a", 2]]));
  });
});
