import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { DEFAULT_NEUMF_OPTIONS, resolveNeuMFOptions } from "../../models/ncf/neumf-options.js";
import { backendFromFlag, NEUMF_FLAG_OPTIONS, neumfOptionsFromFlags, numberFlag } from "./neumf-flags.js";

const parse = (args: string[]) => parseArgs({ args, options: { ...NEUMF_FLAG_OPTIONS, users: { type: "string" } } }).values;

describe("NeuMF flags", () => {
  it("leave every option to its default when no flag is given", () => {
    expect(resolveNeuMFOptions(neumfOptionsFromFlags(parse([])))).toEqual(DEFAULT_NEUMF_OPTIONS);
  });

  it("map every flag to its option", () => {
    const values = parse([
      "--epochs", "3", "--batch-size", "128", "--learning-rate", "0.002", "--learning-rate-decay", "0.9",
      "--gmf-dim", "8", "--mlp-dim", "16", "--mlp-layers", "16,8", "--negatives", "4", "--l2", "0",
      "--recency-boost", "1.5", "--recency-half-life", "5", "--average-from", "2", "--seed", "7",
      "--embedding-optimizer", "adam", "--users", "10",
    ]);
    expect(neumfOptionsFromFlags(values)).toEqual({
      epochs: 3, batchSize: 128, learningRate: 0.002, learningRateDecay: 0.9, gmfDim: 8, mlpEmbeddingDim: 16,
      mlpLayers: [16, 8], negatives: 4, l2: 0, recencyBoost: 1.5, recencyHalfLife: 5, averageFromEpoch: 2, seed: 7,
      embeddingOptimizer: "adam",
    });
    expect(numberFlag("users", values.users)).toBe(10);
  });

  it("refuse a flag that is not a number, naming it", () => {
    expect(() => neumfOptionsFromFlags(parse(["--epochs", "ten"]))).toThrow('--epochs must be a number, got "ten"');
    expect(() => neumfOptionsFromFlags(parse(["--mlp-layers", "32,,8"]))).toThrow(/--mlp-layers must be a number/);
    expect(() => numberFlag("l2", " ")).toThrow(/--l2 must be a number/);
  });

  it("take the backend from --backend, else the command's fallback, and refuse others", () => {
    expect(backendFromFlag("wasm", "auto")).toBe("wasm");
    expect(backendFromFlag(undefined, "cpu")).toBe("cpu");
    expect(() => backendFromFlag("gpu", "auto")).toThrow('backend must be one of auto, tensorflow, wasm, cpu, got "gpu"');
    expect(() => backendFromFlag(undefined, "metal")).toThrow(/got "metal"/);
  });
});
