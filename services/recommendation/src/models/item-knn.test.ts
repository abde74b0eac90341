import { describe, expect, it } from "vitest";
import { computeItemNeighbors, itemKnnScores } from "./item-knn.js";

const pairs = (rows: [string, string][]) => rows.map(([userId, productId]) => ({ userId, productId }));

describe("computeItemNeighbors", () => {
  it("gives the cosine over who engaged with what, best first, ties by id, never the product itself", () => {
    const n = computeItemNeighbors(
      pairs([
        ["u1", "a"], ["u1", "b"], ["u1", "c"],
        ["u2", "a"], ["u2", "b"],
        ["u3", "a"], ["u3", "b"], ["u3", "b"], // a repeated pair counts once
        ["u4", "d"],
      ]),
    );
    // |U_a| = 3, |U_b| = 3, |U_c| = 1: cos(a, b) = 3/3, cos(a, c) = 1/√3.
    expect(n.get("a")).toEqual([
      { productId: "b", score: 1 },
      { productId: "c", score: 1 / Math.sqrt(3) },
    ]);
    expect(n.get("c")!.map((x) => x.productId)).toEqual(["a", "b"]);
    expect(n.has("d")).toBe(false);
    expect(computeItemNeighbors(pairs([["u1", "a"], ["u1", "b"], ["u1", "c"]]), { k: 1 }).get("a")).toEqual([{ productId: "b", score: 1 }]);
  });
});

describe("itemKnnScores", () => {
  it("sums each recent product's neighbour similarity weighted d^j, newest first, and ranks what it reached", () => {
    const lists = new Map([
      ["x", [{ productId: "p", score: 0.5 }, { productId: "q", score: 0.2 }]],
      ["y", [{ productId: "q", score: 1 }]],
    ]);
    const s = itemKnnScores((id) => lists.get(id), ["x", "y", "unknown"], 0.5);
    expect(s.raw.get("p")).toBeCloseTo(0.5, 12);
    expect(s.raw.get("q")).toBeCloseTo(0.2 + 0.5 * 1, 12);
    expect(s.ranked).toEqual(["q", "p"]);
    expect(itemKnnScores(() => undefined, [], 0.5).ranked).toEqual([]);
  });
});
