import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRecommendationConfig, recommenderSettings } from "../../config.js";
import { servedNotes } from "./baselines/served.js";
import { formatReadmeTable, README_TABLE_END, README_TABLE_START, replaceReadmeTable, type ReadmeEvaluation } from "./readme-table.js";

const root = path.resolve(import.meta.dirname, "../../../../..");
const evaluation = JSON.parse(readFileSync(path.join(root, "docs/evaluation/ml-latest-small.json"), "utf8")) as ReadmeEvaluation;
const readme = readFileSync(path.join(root, "README.md"), "utf8");

describe("the README's evaluation table", () => {
  it("is exactly what docs/evaluation/ml-latest-small.json renders to (npm run eval -- --readme)", () => {
    const start = readme.indexOf(README_TABLE_START) + README_TABLE_START.length;
    const end = readme.indexOf(README_TABLE_END);
    expect(readme.slice(start, end).trim()).toBe(formatReadmeTable(evaluation));
  });

  it("reports the served path with the defaults the service runs, meeting the goal on test (HR@10 ≥ 0.096, NDCG@10 ≥ 0.046)", () => {
    const served = evaluation.test.results.find((r) => r.model === "served")!;
    expect(served.notes).toBe(servedNotes(recommenderSettings(loadRecommendationConfig({}))));
    expect(served.hitRatio).toBeGreaterThanOrEqual(0.096);
    expect(served.ndcg).toBeGreaterThanOrEqual(0.046);
    expect(evaluation.validation.protocol).toMatchObject({ split: "validation", ranking: "full" });
    expect(evaluation.test.protocol).toMatchObject({ split: "test", ranking: "full" });
    expect(evaluation.time.protocol.name).toMatch(/^time-based/);
  });

  it("replaces only what lies between the markers", () => {
    const text = `a\n${README_TABLE_START}\nold\n${README_TABLE_END}\nb\n`;
    expect(replaceReadmeTable(text, "new")).toBe(`a\n${README_TABLE_START}\nnew\n${README_TABLE_END}\nb\n`);
    expect(() => replaceReadmeTable("no markers", "x")).toThrow(/must frame the evaluation table/);
  });
});
