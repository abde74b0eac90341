import { describe, expect, it } from "vitest";
import { deriveSeed, mulberry32, shuffleInPlace } from "./prng.js";

describe("mulberry32", () => {
  it("repeats its sequence for a seed and differs between seeds, within [0, 1)", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it("derives distinct seeds per label and shuffles into a permutation", () => {
    expect(deriveSeed(1, "a")).toBe(deriveSeed(1, "a"));
    expect(deriveSeed(1, "a")).not.toBe(deriveSeed(1, "b"));
    expect(deriveSeed(1, "a")).not.toBe(deriveSeed(2, "a"));
    const values = Int32Array.from({ length: 100 }, (_, i) => i);
    shuffleInPlace(values, mulberry32(3));
    expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...values]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
