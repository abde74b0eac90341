import { describe, expect, it } from "vitest";
import { normalizeByMax } from "./normalize.js";

describe("normalizeByMax", () => {
  it("divides by the maximum over the candidates, missing ids scoring 0", () => {
    const out = normalizeByMax(["a", "b", "c"], new Map([["a", 2], ["b", 0.5], ["z", 100]]));
    expect(out).toEqual(new Map([["a", 1], ["b", 0.25], ["c", 0]]));
  });

  it("gives 0 everywhere when every value is 0, and ignores negative and non-finite values", () => {
    expect(normalizeByMax(["a", "b"], new Map([["a", 0]]))).toEqual(new Map([["a", 0], ["b", 0]]));
    expect(normalizeByMax(["a", "b"], new Map([["a", -3], ["b", Number.NaN]]))).toEqual(new Map([["a", 0], ["b", 0]]));
    expect(normalizeByMax([], new Map())).toEqual(new Map());
  });
});
