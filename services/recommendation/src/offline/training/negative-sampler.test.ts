import { describe, expect, it } from "vitest";
import { NegativeSampler } from "./negative-sampler.js";
import { mulberry32 } from "../../models/prng.js";

const ITEMS = 50;
// User 0: a few items; user 1: 40 of 50 (more than half: complement path); user 2: every item.
const userItems = [Int32Array.from([1, 5, 9, 33]), Int32Array.from({ length: 40 }, (_, i) => i + 5), Int32Array.from({ length: ITEMS }, (_, i) => i)];
const positiveUsers = Int32Array.from(userItems.flatMap((items, u) => [...items].map(() => u)));
const positiveItems = Int32Array.from(userItems.flatMap((items) => [...items]));

describe("NegativeSampler", () => {
  const sampler = new NegativeSampler(userItems, ITEMS);

  it("never returns a positive of the user, and returns -1 for a user who has every item", () => {
    const random = mulberry32(1);
    for (let draw = 0; draw < 5000; draw++) {
      for (const u of [0, 1]) {
        const i = sampler.sample(u, random);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(ITEMS);
        expect(userItems[u]!.includes(i)).toBe(false);
      }
    }
    expect(sampler.sample(2, random)).toBe(-1);
    // Every non-positive is reachable for user 1 (its complement has 10 items).
    const seen = new Set(Array.from({ length: 2000 }, () => sampler.sample(1, random)));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 45, 46, 47, 48, 49]);
  });

  it("builds an epoch of every positive plus 4 negatives each, with no positive labelled 0", () => {
    const epoch = sampler.epochSamples(positiveUsers, positiveItems, 4, mulberry32(2));
    const positives = (userItems[0]!.length + userItems[1]!.length) * 5 + userItems[2]!.length;
    expect(epoch.labels.length).toBe(positives);
    let ones = 0;
    for (let s = 0; s < epoch.labels.length; s++) {
      const u = epoch.users[s]!;
      const isPositive = userItems[u]!.includes(epoch.items[s]!);
      expect(epoch.labels[s]).toBe(isPositive ? 1 : 0);
      ones += epoch.labels[s]!;
    }
    expect(ones).toBe(positiveItems.length);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = sampler.epochSamples(positiveUsers, positiveItems, 4, mulberry32(9));
    const b = sampler.epochSamples(positiveUsers, positiveItems, 4, mulberry32(9));
    const c = sampler.epochSamples(positiveUsers, positiveItems, 4, mulberry32(10));
    expect(b.users).toEqual(a.users);
    expect(b.items).toEqual(a.items);
    expect(b.labels).toEqual(a.labels);
    expect(c.items).not.toEqual(a.items);
  });
});
