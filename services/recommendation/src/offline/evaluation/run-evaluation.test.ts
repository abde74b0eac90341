import { describe, expect, it } from "vitest";
import { product } from "../../serving/testing/fakes.js";
import { mulberry32 } from "../../models/prng.js";
import { blendModel } from "./baselines/blend.js";
import { contentModel } from "./baselines/content.js";
import { itemKnnModel } from "./baselines/item-knn.js";
import { popularityModel } from "./baselines/popularity.js";
import type { RatedInteraction } from "./interactions.js";
import type { ModelSpec } from "./evaluated-model.js";
import { formatResultsTable } from "./report.js";
import { evaluateDataset } from "./run-evaluation.js";

/**
 * Two taste clusters over 400 items: items 1–200 are "Drama", 201–400 "Comedy"; each of 60 users
 * rates 25 items of their own cluster (popular ones more often), timestamps increasing.
 */
function syntheticData(): { catalog: ReturnType<typeof product>[]; interactions: RatedInteraction[] } {
  const random = mulberry32(11);
  const catalog = Array.from({ length: 400 }, (_, i) =>
    i < 200 ? product(String(i + 1), `Drama Story ${i + 1} (1990)`, ["Drama"]) : product(String(i + 1), `Funny Comedy ${i + 1} (2000)`, ["Comedy"]),
  );
  const interactions: RatedInteraction[] = [];
  for (let u = 1; u <= 60; u++) {
    const base = u % 2 === 0 ? 0 : 200;
    const items = new Set<number>();
    while (items.size < 25) items.add(base + 1 + Math.floor(random() ** 2 * 200));
    let t = 0;
    for (const i of items) interactions.push({ userId: String(u), productId: String(i), timestampMs: (t += 1000), rating: 4 });
  }
  return { catalog, interactions };
}

const constantModel: ModelSpec = {
  name: "constant",
  label: "constant",
  async train() {
    return { scorer: { score: (_u, items) => new Float64Array(items.length).fill(0.5) }, trainingMs: 0 };
  },
};

const specs: ModelSpec[] = [
  constantModel,
  popularityModel,
  itemKnnModel,
  contentModel({ maxPositives: 20, recencyDecay: 0.9 }),
  blendModel({
    name: "blend",
    label: "blend 0.6 KNN + 0.4 content",
    parts: [
      { model: "itemknn", weight: 0.6 },
      { model: "content", weight: 0.4 },
    ],
    normalization: "max",
  }),
];

describe("evaluateDataset on a synthetic data set", () => {
  const { catalog, interactions } = syntheticData();

  it("reports every model under the sampled ranking, a constant scorer at HR@10 = 0, and personalised models above popularity", async () => {
    const report = await evaluateDataset("synthetic", catalog, interactions, { seed: 1, ranking: "sampled" }, specs);
    const by = new Map(report.results.map((r) => [r.model, r]));
    expect(report.results.map((r) => r.model)).toEqual(["constant", "popularity", "itemknn", "content", "blend"]);
    expect(report.protocol).toMatchObject({ seed: 1, negatives: 99, k: 10, evaluatedUsers: 60, ranking: "sampled", split: "test" });
    expect(report.dataset).toMatchObject({ users: 60, items: 400, interactions: 1500, trainInteractions: 1440 });

    expect(by.get("constant")!.hitRatio).toBe(0);
    expect(by.get("constant")!.ndcg).toBe(0);
    // Ties go to the lower id: each user gets the first 10 items they did not train on.
    expect(by.get("constant")!.coverage! * 400).toBeGreaterThanOrEqual(10);
    expect(by.get("constant")!.coverage! * 400).toBeLessThan(40);
    // Half the negatives are in the other cluster, where item-KNN and content score 0.
    expect(by.get("itemknn")!.hitRatio).toBeGreaterThan(by.get("popularity")!.hitRatio);
    expect(by.get("content")!.coverage).toBeGreaterThan(by.get("popularity")!.coverage!);
    for (const r of report.results) {
      expect(r.hitRatio).toBeGreaterThanOrEqual(r.ndcg);
      expect(r.users).toBe(60);
      expect(r.coverage).toBeGreaterThan(0);
    }
    expect(by.get("blend")!.trainingMs).toBeCloseTo(by.get("itemknn")!.trainingMs + by.get("content")!.trainingMs, 6);

    const table = formatResultsTable(report).split("\n");
    expect(table).toHaveLength(2 + 5);
    expect(table[0]).toMatch(/^model\s+HR@10\s+NDCG@10\s+Recall@20\s+coverage@10\s+training\s+eval time$/);
    const hrColumnEnd = table[0]!.indexOf("HR@10") + "HR@10".length;
    for (const line of table.slice(2)) expect(line.slice(hrColumnEnd - 13, hrColumnEnd)).toMatch(/^[01]\.\d{3} ± [01]\.\d{3}$/);
    expect(table[2]).toMatch(/^constant\s+0\.000 ± 0\.000\s+0\.000 ± 0\.000\s+–\s/);

    const json = JSON.parse(JSON.stringify(report)) as typeof report;
    expect(json.results[2]).toMatchObject({ model: "itemknn", label: "item-KNN (cosine)" });
  });

  it("ranks in full by default: against every item the user did not train on, with recall and standard errors", async () => {
    const full = await evaluateDataset("synthetic", catalog, interactions, { seed: 1 }, specs);
    const sampled = await evaluateDataset("synthetic", catalog, interactions, { seed: 1, ranking: "sampled" }, specs);
    expect(full.protocol).toMatchObject({ ranking: "full", negatives: 0, recallK: 20, heldOutItems: 60 });
    const f = new Map(full.results.map((r) => [r.model, r]));
    const s = new Map(sampled.results.map((r) => [r.model, r]));
    expect(f.get("constant")!.hitRatio).toBe(0);
    for (const name of ["popularity", "itemknn", "content"]) {
      // 390 competitors instead of 99: never easier.
      expect(f.get(name)!.hitRatio).toBeLessThanOrEqual(s.get(name)!.hitRatio);
      const r = f.get(name)!;
      expect(r.recall).toBeGreaterThanOrEqual(r.hitRatio); // one held-out item: Recall@20 = HR@20 ≥ HR@10
      expect(r.hitRatioSe).toBeCloseTo(Math.sqrt((r.hitRatio * (1 - r.hitRatio) * 60) / 59 / 60), 9);
    }
    expect(f.get("itemknn")!.hitRatio).toBeGreaterThan(f.get("popularity")!.hitRatio);
  });

  it("evaluates the validation split without the test interactions, and the time-based protocol", async () => {
    const test = await evaluateDataset("synthetic", catalog, interactions, { seed: 1, models: ["itemknn"] }, specs);
    const validation = await evaluateDataset("synthetic", catalog, interactions, { seed: 1, models: ["itemknn"], split: "validation" }, specs);
    expect(validation.protocol.split).toBe("validation");
    expect(validation.dataset.trainInteractions).toBe(test.dataset.trainInteractions - 60);
    const time = await evaluateDataset("synthetic", catalog, interactions, { seed: 1, models: ["itemknn"], protocol: "time", cutQuantile: 0.9 }, specs);
    expect(time.protocol.name).toMatch(/^time-based/);
    expect(time.protocol.cut).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(time.dataset.trainInteractions).toBe(1320); // the cut is the 23rd timestamp: 22 earlier ratings per user
    expect(time.protocol.heldOutItems).toBeGreaterThanOrEqual(time.protocol.evaluatedUsers);
  });

  it("gives the same numbers for the same seed and evaluates a user sample", async () => {
    const options = { seed: 4, models: ["popularity", "itemknn"], coverage: false };
    const a = await evaluateDataset("synthetic", catalog, interactions, options, specs);
    const b = await evaluateDataset("synthetic", catalog, interactions, options, specs);
    expect(a.results.map((r) => [r.hitRatio, r.ndcg])).toEqual(b.results.map((r) => [r.hitRatio, r.ndcg]));
    expect(a.results[0]!.coverage).toBeUndefined();
    const sample = await evaluateDataset("synthetic", catalog, interactions, { ...options, users: 7 }, specs);
    expect(sample.protocol.evaluatedUsers).toBe(7);
    expect(sample.results[0]!.users).toBe(7);
  });

  it("rejects an unknown model name", async () => {
    await expect(evaluateDataset("synthetic", catalog, interactions, { models: ["nope"] }, specs)).rejects.toThrow(/unknown model "nope"/);
  });
});
