import { describe, expect, it } from "vitest";
import type { RatedInteraction } from "./interactions.js";
import { sampleNegatives } from "./negatives.js";
import { mulberry32 } from "../../models/prng.js";
import { evaluationSeed, prepareEvaluation } from "./protocol.js";

/** 40 users, 300 items; user u rated 20 to 59 items at increasing timestamps. */
function syntheticInteractions(): RatedInteraction[] {
  const random = mulberry32(7);
  const out: RatedInteraction[] = [];
  for (let u = 1; u <= 40; u++) {
    const items = new Set<number>();
    const n = 20 + (u % 40);
    while (items.size < n) items.add(1 + Math.floor(random() * 300));
    let t = 0;
    for (const i of items) out.push({ userId: String(u), productId: String(i), timestampMs: (t += 1000), rating: 4 });
  }
  return out;
}

const catalog = Array.from({ length: 300 }, (_, i) => String(i + 1));

describe("sampleNegatives", () => {
  it("draws distinct items never interacted with", () => {
    const interacted = new Set(Array.from({ length: 50 }, (_, i) => i * 2));
    const sample = sampleNegatives(mulberry32(1), 200, interacted, 99);
    expect(sample.length).toBe(99);
    expect(new Set(sample).size).toBe(99);
    for (const i of sample) {
      expect(interacted.has(i)).toBe(false);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(200);
    }
  });

  it("gives the same sample for the same seed and another one for another seed", () => {
    const interacted = new Set([1, 2, 3]);
    const a = sampleNegatives(mulberry32(42), 1000, interacted, 99);
    const b = sampleNegatives(mulberry32(42), 1000, interacted, 99);
    const c = sampleNegatives(mulberry32(43), 1000, interacted, 99);
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it("takes every remaining item when exactly enough are left, and refuses when too few", () => {
    const interacted = new Set([0, 1, 2, 3, 4]);
    expect([...sampleNegatives(mulberry32(1), 104, interacted, 99)].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 99 }, (_, i) => i + 5),
    );
    expect(() => sampleNegatives(mulberry32(1), 103, interacted, 99)).toThrow(RangeError);
  });
});

describe("prepareEvaluation", () => {
  const interactions = syntheticInteractions();

  it("gives each user 99 distinct negatives outside training and held-out items", () => {
    const data = prepareEvaluation(catalog, interactions, { seed: 1 });
    expect(data.cases.length).toBe(40);
    expect(data.itemIds.length).toBe(300);
    for (const c of data.cases) {
      expect(c.negatives.length).toBe(99);
      expect(new Set(c.negatives).size).toBe(99);
      const own = new Set(interactions.filter((e) => e.userId === data.userIds[c.user]).map((e) => data.itemIndex.get(e.productId)));
      for (const n of c.negatives) expect(own.has(n)).toBe(false);
      expect(own.has(c.heldOut)).toBe(true);
      expect([...data.trainItems[c.user]!]).not.toContain(c.heldOut);
    }
  });

  it("holds out the latest interaction and lists training items newest first", () => {
    const data = prepareEvaluation(catalog, interactions, { seed: 1 });
    const user = data.userIndex.get("3")!;
    const own = interactions.filter((e) => e.userId === "3");
    const c = data.cases.find((x) => x.user === user)!;
    expect(data.itemIds[c.heldOut]).toBe(own.at(-1)!.productId);
    expect([...data.trainItems[user]!].map((i) => data.itemIds[i])).toEqual(own.slice(0, -1).reverse().map((e) => e.productId));
    expect(data.train.length).toBe(interactions.length - 40);
  });

  it("is reproducible with a seed and changes with it", () => {
    const a = prepareEvaluation(catalog, interactions, { seed: 5 });
    const b = prepareEvaluation(catalog, [...interactions].reverse(), { seed: 5 });
    const c = prepareEvaluation(catalog, interactions, { seed: 6 });
    expect(a.cases.map((x) => [...x.negatives])).toEqual(b.cases.map((x) => [...x.negatives]));
    expect(a.cases.map((x) => [...x.negatives])).not.toEqual(c.cases.map((x) => [...x.negatives]));
  });

  it("samples a subset of users with the same candidates per user as the full run", () => {
    const full = prepareEvaluation(catalog, interactions, { seed: 3 });
    const sample = prepareEvaluation(catalog, interactions, { seed: 3, users: 10 });
    expect(sample.cases.length).toBe(10);
    expect(sample.train.length).toBe(full.train.length);
    const users = sample.cases.map((c) => c.user);
    expect(users).toEqual([...users].sort((x, y) => x - y));
    for (const c of sample.cases) {
      const same = full.cases.find((x) => x.user === c.user)!;
      expect([...c.negatives]).toEqual([...same.negatives]);
    }
    expect(prepareEvaluation(catalog, interactions, { seed: 3, users: 10 }).cases.map((c) => c.user)).toEqual(users);
  });

  it("adds interacted products missing from the catalog to the universe", () => {
    const data = prepareEvaluation(["1", "2"], interactions.slice(0, 200), { seed: 1, negatives: 5 });
    expect(data.itemIds.length).toBeGreaterThan(2);
    expect(data.itemIds).toContain(interactions[0]!.productId);
  });

  it("derives per-user seeds that differ by user and by run seed", () => {
    expect(evaluationSeed(1, "1")).not.toBe(evaluationSeed(1, "2"));
    expect(evaluationSeed(1, "1")).not.toBe(evaluationSeed(2, "1"));
    expect(evaluationSeed(1, "1")).toBe(evaluationSeed(1, "1"));
  });
});
