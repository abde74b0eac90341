import { describe, expect, it } from "vitest";
import { reasonFor } from "./reasons.js";

const zero = { collaborative: 0, content: 0, trending: 0, popularity: 0 };

describe("reasonFor", () => {
  it("names the strongest contributing signal", () => {
    expect(reasonFor({ ...zero, content: 0.5, trending: 0.2 }, { similarTo: "Heat (1995)" })).toBe("similar to Heat (1995)");
    expect(reasonFor({ ...zero, content: 0.1, trending: 0.2 }, { similarTo: "Heat (1995)" })).toBe("trending now");
    expect(reasonFor({ ...zero, content: 0.1, trending: 0.2 }, { category: "Comedy" })).toBe("trending in Comedy");
    expect(reasonFor({ ...zero, popularity: 0.6, trending: 0.2 }, {})).toBe("popular");
    expect(reasonFor({ ...zero, popularity: 0.6 }, { category: "Drama" })).toBe("popular in Drama");
    expect(reasonFor({ ...zero, collaborative: 0.4, content: 0.3 }, {})).toBe("people with similar taste watched this");
    expect(reasonFor({ ...zero, content: 0.4, collaborative: 0.3 }, { liked: "Heat (1995)" })).toBe("because you liked Heat (1995)");
  });

  it("prefers content on ties and falls back to popular when nothing contributed", () => {
    expect(reasonFor({ ...zero, content: 0.2, trending: 0.2 }, { similarTo: "Heat (1995)" })).toBe("similar to Heat (1995)");
    expect(reasonFor(zero, {})).toBe("popular");
  });
});
