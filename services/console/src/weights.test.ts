import { describe, expect, it } from "vitest";
import { DEFAULT_WEIGHTS } from "./api.js";
import { moveWeight } from "./weights.js";

describe("moveWeight", () => {
  it("moves the partner so each pair sums to 1", () => {
    const w = moveWeight(DEFAULT_WEIGHTS, "trending", 0.65);
    expect(w).toEqual({ relevance: 0.35, trending: 0.65, collaborative: 0.6, content: 0.4 });
    const v = moveWeight(w, "content", 1);
    expect(v).toEqual({ relevance: 0.35, trending: 0.65, collaborative: 0, content: 1 });
  });

  it("clamps to [0, 1] and rounds to the slider's 0.05 step", () => {
    expect(moveWeight(DEFAULT_WEIGHTS, "relevance", 1.7)).toMatchObject({ relevance: 1, trending: 0 });
    expect(moveWeight(DEFAULT_WEIGHTS, "relevance", -0.2)).toMatchObject({ relevance: 0, trending: 1 });
    expect(moveWeight(DEFAULT_WEIGHTS, "collaborative", 0.333)).toMatchObject({ collaborative: 0.35, content: 0.65 });
  });
});
