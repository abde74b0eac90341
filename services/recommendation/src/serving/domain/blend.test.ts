import { describe, expect, it } from "vitest";
import { coldStartContributions, personalizedContributions, similarContributions, totalScore } from "./blend.js";
import { effectiveWeights, type BlendWeights } from "./blend-weights.js";

const W: BlendWeights = { relevance: 0.8, trending: 0.2, collaborative: 0.6, content: 0.4 };
const S = { collaborative: 0.5, content: 1, trending: 0.25, popularity: 0.9 };

describe("blend formulas", () => {
  it("personalised: 0.8 × (0.6 × cf + 0.4 × content) + 0.2 × trending", () => {
    // 0.8 × (0.6 × 0.5 + 0.4 × 1) + 0.2 × 0.25 = 0.8 × 0.7 + 0.05 = 0.61
    const c = personalizedContributions(S, W);
    expect(c.collaborative).toBeCloseTo(0.24, 12);
    expect(c.content).toBeCloseTo(0.32, 12);
    expect(c.trending).toBeCloseTo(0.05, 12);
    expect(c.popularity).toBe(0);
    expect(totalScore(c)).toBeCloseTo(0.61, 12);
  });

  it("personalised without a collaborative model: content takes the collaborative weight", () => {
    // 0.8 × 1 × 1 + 0.2 × 0.25 = 0.85
    expect(totalScore(personalizedContributions(S, effectiveWeights(W, false)))).toBeCloseTo(0.85, 12);
  });

  it("cold start: 0.8 × popularity + 0.2 × trending", () => {
    // 0.8 × 0.9 + 0.2 × 0.25 = 0.77
    const c = coldStartContributions(S, W);
    expect(totalScore(c)).toBeCloseTo(0.77, 12);
    expect(c.content).toBe(0);
  });

  it("item to item: 0.8 × cosine + 0.2 × trending", () => {
    // 0.8 × 1 + 0.2 × 0.25 = 0.85; an item only in the trending list: 0.2 × 0.25 = 0.05
    expect(totalScore(similarContributions(S, W))).toBeCloseTo(0.85, 12);
    expect(totalScore(similarContributions({ ...S, content: 0 }, W))).toBeCloseTo(0.05, 12);
  });
});
