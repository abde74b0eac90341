import { describe, expect, it } from "vitest";
import { mulberry32 } from "../prng.js";
import { ContentModel } from "./content-model.js";

const WORDS = ["heat", "crime", "heist", "toy", "space", "robot", "love", "paris", "war", "ship", "ghost", "comedy", "drama", "music"];

/** A seeded catalog of 60 products with random titles and categories. */
function catalog(seed: number) {
  const random = mulberry32(seed);
  const pick = () => WORDS[Math.floor(random() * WORDS.length)]!;
  return Array.from({ length: 60 }, (_, i) => ({
    productId: String(i + 1),
    title: `${pick()} ${pick()} ${pick()} (19${10 + i})`,
    categories: [pick(), pick()],
    tags: [pick()],
  }));
}

describe("ContentModel.meanSimilarity", () => {
  it("equals the weighted mean of the pairwise cosines", () => {
    for (const seed of [1, 2, 3]) {
      const products = catalog(seed);
      const model = ContentModel.build(products);
      const profile = [
        { id: "3", weight: 1 },
        { id: "17", weight: 0.9 },
        { id: "42", weight: 0.81 },
        { id: "unknown", weight: 0.5 },
      ];
      const candidates = products.map((p) => p.productId).concat(["nope"]);
      const fast = model.meanSimilarity(candidates, profile);
      const total = profile.reduce((s, p) => s + p.weight, 0);
      candidates.forEach((id, c) => {
        const slow = profile.reduce((s, p) => s + p.weight * model.similarity(id, p.id), 0) / total;
        expect(fast[c]).toBeCloseTo(slow, 12);
      });
      expect(fast[candidates.length - 1]).toBe(0);
      // The scratch vector is clean afterwards: a second call gives the same values.
      expect(model.meanSimilarity(candidates, profile)).toEqual(fast);
    }
  });

  it("gives zeros for an empty profile", () => {
    const model = ContentModel.build(catalog(4));
    expect([...model.meanSimilarity(["1", "2"], [])]).toEqual([0, 0]);
  });
});
