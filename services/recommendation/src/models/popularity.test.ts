import { describe, expect, it } from "vitest";
import type { Engagement } from "../../../shared/src/event-kinds.js";
import { computePopularity, OpinionAccumulator } from "./popularity.js";

const e = (userId: string, productId: string, kind: Engagement["kind"], value = 0): Engagement => ({ userId, productId, kind, value });

describe("computePopularity", () => {
  /*
   * Latest opinions: p1 = {5 (u1), 3 (u2, re-rated from 4)}, p2 = {3}, p3 = {5 (like), 1 (dislike)}.
   * m = 17 / 5 = 3.4, C = 5 opinions / 3 products = 5/3, maxN = 2.
   * p1: WR = (5/3·3.4 + 8) / (5/3 + 2) = 3.727273; score = 3.727273 / 5 · ln 3 / ln 3 = 0.745455.
   * p3: WR = (5/3·3.4 + 6) / (5/3 + 2) = 3.181818; score = 0.636364.
   * p2: WR = (5/3·3.4 + 3) / (5/3 + 1) = 3.25;     score = 0.65 · ln 2 / ln 3 = 0.410104.
   */
  const events = [
    e("u1", "p1", "rate", 5),
    e("u2", "p1", "rate", 4),
    e("u1", "p2", "rate", 3),
    e("u3", "p3", "like"),
    e("u4", "p3", "dislike"),
    e("u1", "p2", "click"),
    e("u5", "p9", "view"),
    e("u2", "p1", "rate", 3),
  ];

  it("computes the Bayesian average weighted by log count, by hand", () => {
    const acc = new OpinionAccumulator();
    acc.add(events);
    expect(acc.events).toBe(8);
    const items = computePopularity(acc.values());
    expect(items.map((p) => p.productId)).toEqual(["p1", "p3", "p2"]);
    expect(items[0]).toEqual({ productId: "p1", score: expect.closeTo(0.745455, 6), ratingCount: 2, meanRating: 4 });
    expect(items[1]).toEqual({ productId: "p3", score: expect.closeTo(0.636364, 6), ratingCount: 2, meanRating: 3 });
    expect(items[2]).toEqual({ productId: "p2", score: expect.closeTo(0.410104, 6), ratingCount: 1, meanRating: 3 });
  });

  it("pulls a product with few ratings towards the global mean", () => {
    const acc = new OpinionAccumulator();
    acc.add([e("u1", "one", "rate", 5), ...Array.from({ length: 20 }, (_, i) => e(`u${i}`, "many", "rate", 4.5))]);
    const [first, second] = computePopularity(acc.values());
    expect(first!.productId).toBe("many");
    expect(second!.productId).toBe("one");
  });

  it("accepts an explicit prior weight and returns nothing without opinions", () => {
    const acc = new OpinionAccumulator();
    acc.add([e("u1", "a", "rate", 5), e("u2", "b", "rate", 1)]);
    // C = 0: the Bayesian average is the plain mean.
    const items = computePopularity(acc.values(), { priorWeight: 0 });
    expect(items[0]).toMatchObject({ productId: "a", score: 1 });
    expect(items[1]).toMatchObject({ productId: "b", score: expect.closeTo(0.2, 12) });
    expect(computePopularity([])).toEqual([]);
  });
});
