import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../shared/src/domain-errors.js";
import { effectiveWeights, resolveWeights, weightsProblem, type BlendWeights, type BlendWeightsOverride } from "./blend-weights.js";

const DEFAULTS: BlendWeights = { relevance: 0.8, trending: 0.2, collaborative: 0.6, content: 0.4 };

/** The domain error a bad override raises (answered INVALID_ARGUMENT by toConnectError, see errors.test.ts). */
function rejection(override: BlendWeightsOverride): InvalidArgumentError {
  try {
    resolveWeights(DEFAULTS, override);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("resolveWeights", () => {
  it("keeps the defaults without an override", () => {
    expect(resolveWeights(DEFAULTS, undefined)).toBe(DEFAULTS);
    expect(resolveWeights(DEFAULTS, {})).toEqual(DEFAULTS);
  });

  it("accepts pairs that sum to 1 within 1e-6", () => {
    expect(resolveWeights(DEFAULTS, { relevance: 0.5, trending: 0.5000004 })).toEqual({ ...DEFAULTS, relevance: 0.5, trending: 0.5000004 });
    expect(resolveWeights(DEFAULTS, { collaborative: 0, content: 1 })).toEqual({ ...DEFAULTS, collaborative: 0, content: 1 });
  });

  it("completes a pair from one given weight", () => {
    expect(resolveWeights(DEFAULTS, { trending: 0 })).toEqual({ ...DEFAULTS, relevance: 1, trending: 0 });
    expect(resolveWeights(DEFAULTS, { content: 0.75 })).toEqual({ ...DEFAULTS, collaborative: 0.25, content: 0.75 });
  });

  it("rejects a weight outside [0, 1] naming the field", () => {
    const err = rejection({ relevance: 1.5, trending: -0.5 });
    expect(err.kind).toBe("invalid_argument");
    expect(err.message).toBe("weights.relevance: must be between 0 and 1, got 1.5");
    expect(rejection({ content: -0.1 }).message).toMatch(/^weights\.content: /);
    expect(rejection({ collaborative: Number.NaN }).message).toMatch(/^weights\.collaborative: /);
  });

  it("rejects pairs that do not sum to 1, naming the first field of the pair", () => {
    const outer = rejection({ relevance: 0.5, trending: 0.6 });
    expect(outer.kind).toBe("invalid_argument");
    expect(outer.message).toBe("weights.relevance: relevance (0.5) and trending (0.6) must sum to 1");
    expect(rejection({ collaborative: 0.5, content: 0.4 }).message).toMatch(/^weights\.collaborative: .*must sum to 1/);
  });
});

describe("weightsProblem", () => {
  it("accepts the defaults and names the bad weight", () => {
    expect(weightsProblem(DEFAULTS)).toBeUndefined();
    expect(weightsProblem({ ...DEFAULTS, trending: 0.3 })?.[0]).toBe("relevance");
    expect(weightsProblem({ ...DEFAULTS, content: 2 })?.[0]).toBe("content");
  });
});

describe("effectiveWeights", () => {
  it("gives the collaborative share to content while no collaborative model is loaded", () => {
    expect(effectiveWeights(DEFAULTS, false)).toEqual({ relevance: 0.8, trending: 0.2, collaborative: 0, content: 1 });
    expect(effectiveWeights(DEFAULTS, true)).toBe(DEFAULTS);
  });
});
