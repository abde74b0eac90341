import { describe, expect, it } from "vitest";
import { catalogCoverage, heldOutRank, hitRatioAt, meanWithError, ndcgAt, rankingMetrics, relevantRanks, topK } from "./metrics.js";

describe("heldOutRank", () => {
  it("counts the negatives scoring strictly higher", () => {
    expect(heldOutRank(0.5, [0.1, 0.9, 0.2, 0.7])).toBe(2);
    expect(heldOutRank(1, [0.1, 0.2])).toBe(0);
  });

  it("counts ties against the held-out item", () => {
    expect(heldOutRank(0.5, [0.5, 0.1, 0.5])).toBe(2);
    expect(heldOutRank(0.5, [0.5])).toBe(1);
  });

  it("ranks the held-out item last for a constant scorer", () => {
    const negatives = new Float64Array(99).fill(3);
    expect(heldOutRank(3, negatives)).toBe(99);
    expect(hitRatioAt(heldOutRank(3, negatives), 10)).toBe(0);
  });

  it("treats NaN as minus infinity", () => {
    expect(heldOutRank(Number.NaN, [0.1, 0.2])).toBe(2);
    expect(heldOutRank(Number.NaN, [Number.NaN])).toBe(1);
    expect(heldOutRank(0.1, [Number.NaN, 0.2])).toBe(1);
  });
});

describe("hitRatioAt and ndcgAt", () => {
  it("computes hand-checked values for 0-based ranks", () => {
    expect(hitRatioAt(0, 10)).toBe(1);
    expect(hitRatioAt(9, 10)).toBe(1);
    expect(hitRatioAt(10, 10)).toBe(0);
    expect(ndcgAt(0, 10)).toBe(1);
    expect(ndcgAt(1, 10)).toBeCloseTo(1 / Math.log2(3), 12); // 0.6309
    expect(ndcgAt(2, 10)).toBeCloseTo(0.5, 12);
    expect(ndcgAt(6, 10)).toBeCloseTo(1 / 3, 12);
    expect(ndcgAt(9, 10)).toBeCloseTo(1 / Math.log2(11), 12);
    expect(ndcgAt(10, 10)).toBe(0);
    expect(ndcgAt(99, 10)).toBe(0);
  });

  it("averages to the mean over users of a hand-ranked example", () => {
    // Three users: held-out at rank 0, rank 2 (one tie + one above) and rank 12.
    const ranks = [heldOutRank(0.9, [0.1, 0.2]), heldOutRank(0.5, [0.5, 0.8, 0.1]), heldOutRank(0, new Array(12).fill(1))];
    expect(ranks).toEqual([0, 2, 12]);
    const hr = ranks.reduce((s, r) => s + hitRatioAt(r, 10), 0) / 3;
    const ndcg = ranks.reduce((s, r) => s + ndcgAt(r, 10), 0) / 3;
    expect(hr).toBeCloseTo(2 / 3, 12);
    expect(ndcg).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
  });
});

describe("topK", () => {
  it("returns the best positions, breaking ties by position", () => {
    expect(topK([0.1, 0.5, 0.5, 0.9, 0.2], 3)).toEqual([3, 1, 2]);
    expect(topK([1, 1, 1, 1], 2)).toEqual([0, 1]);
    expect(topK([Number.NaN, 0], 1)).toEqual([1]);
    expect(topK([0.3], 10)).toEqual([0]);
  });

  it("agrees with a full sort on random scores", () => {
    const scores = Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 20));
    const sorted = scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s || a.i - b.i);
    expect(topK(scores, 10)).toEqual(sorted.slice(0, 10).map((x) => x.i));
  });
});

describe("catalogCoverage", () => {
  it("divides the distinct recommended items by the catalog size", () => {
    expect(catalogCoverage([[1, 2, 3], [2, 3, 4]], 10)).toBeCloseTo(0.4, 12);
    expect(catalogCoverage([[1, 2], [1, 2], [2, 1]], 100)).toBeCloseTo(0.02, 12);
    expect(catalogCoverage([], 10)).toBe(0);
    expect(catalogCoverage([[1]], 0)).toBe(0);
  });
});

describe("relevantRanks", () => {
  it("ranks one held-out item like heldOutRank over every other candidate, ties against it", () => {
    const scores = [0.5, 0.9, 0.5, 0.1, Number.NaN];
    expect([...relevantRanks(scores, [0])]).toEqual([heldOutRank(0.5, [0.9, 0.5, 0.1, Number.NaN])]);
    expect([...relevantRanks(scores, [0])]).toEqual([2]);
    expect([...relevantRanks(scores, [4])]).toEqual([4]); // NaN: behind everything
  });

  it("places several held-out items by score among themselves, ascending", () => {
    // sorted: 0.9 (rel) 0.8 0.7 (rel) 0.7 0.1 (rel): ties against held-out items.
    const scores = [0.7, 0.9, 0.8, 0.7, 0.1];
    expect([...relevantRanks(scores, [0, 1, 4])]).toEqual([0, 3, 4]);
  });
});

describe("rankingMetrics", () => {
  it("computes HR@k, NDCG@k against the ideal DCG of min(|R|, k) items, and recall over |R|", () => {
    expect(rankingMetrics([0], 10, 20)).toEqual({ hit: 1, ndcg: 1, recall: 1 });
    expect(rankingMetrics([12], 10, 20)).toEqual({ hit: 0, ndcg: 0, recall: 1 });
    const m = rankingMetrics([1, 30], 10, 20);
    expect(m.hit).toBe(1);
    expect(m.ndcg).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(m.recall).toBe(0.5);
  });
});

describe("meanWithError", () => {
  it("gives the mean and s/√n", () => {
    const r = meanWithError([1, 0, 0, 1]);
    expect(r.mean).toBe(0.5);
    expect(r.standardError).toBeCloseTo(Math.sqrt(1 / 3 / 4), 12);
    expect(meanWithError([])).toEqual({ mean: 0, standardError: 0 });
    expect(meanWithError([0.3])).toEqual({ mean: 0.3, standardError: 0 });
  });
});
