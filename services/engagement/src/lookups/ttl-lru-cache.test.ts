import { describe, expect, it } from "vitest";
import { TtlLruCache } from "./ttl-lru-cache.js";

describe("TtlLruCache", () => {
  it("expires entries ttlMs after they were set", () => {
    const clock = { now: 1_000 };
    const cache = new TtlLruCache<string>({ maxEntries: 10, ttlMs: 100, now: () => clock.now });
    cache.set("a", "A");
    clock.now = 1_099;
    expect(cache.get("a")).toBe("A");
    clock.now = 1_100;
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("evicts the least recently used entry beyond maxEntries", () => {
    const cache = new TtlLruCache<number>({ maxEntries: 2, ttlMs: 60_000 });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // a is now the most recently used
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("caches nothing when disabled", () => {
    const cache = new TtlLruCache<number>({ maxEntries: 0, ttlMs: 60_000 });
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
  });
});
