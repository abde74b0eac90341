import { describe, expect, it } from "vitest";
import { product } from "../../../serving/testing/fakes.js";
import { mulberry32 } from "../../../models/prng.js";
import { evaluateModel } from "../evaluate.js";
import type { RatedInteraction } from "../interactions.js";
import type { ModelContext, TrainedModel } from "../evaluated-model.js";
import { prepareEvaluation } from "../protocol.js";
import { neumfModel } from "./neumf.js";

/** 40 users in two taste clusters over 300 items (12 items each), plus user 999 whose latest item nobody else has. */
function syntheticInteractions(): RatedInteraction[] {
  const random = mulberry32(5);
  const out: RatedInteraction[] = [];
  for (let u = 1; u <= 40; u++) {
    const base = u % 2 === 0 ? 0 : 150;
    const items = new Set<number>();
    while (items.size < 12) items.add(base + 1 + Math.floor(random() ** 2 * 150));
    let t = 0;
    for (const i of items) out.push({ userId: String(u), productId: String(i), timestampMs: (t += 1000), rating: 4 });
  }
  out.push(
    { userId: "999", productId: "1", timestampMs: 1, rating: 4 },
    { userId: "999", productId: "2", timestampMs: 2, rating: 4 },
    { userId: "999", productId: "3", timestampMs: 3, rating: 4 },
    { userId: "999", productId: "301", timestampMs: 4, rating: 4 },
  );
  return out;
}

describe("neumfModel", () => {
  const catalog = Array.from({ length: 301 }, (_, i) => product(String(i + 1), `Movie ${i + 1} (2000)`, ["Drama"]));
  const data = prepareEvaluation(
    catalog.map((p) => p.productId),
    syntheticInteractions(),
    { seed: 3 },
  );
  const lines: string[] = [];
  const context: ModelContext = {
    data,
    catalog,
    seed: 3,
    traceEpochs: true,
    log: (line) => lines.push(line),
    trained: () => Promise.reject(new Error("no other models")),
  };
  let trained: TrainedModel;

  it("trains with the run's seed and the trainer's default epochs, logging each epoch with its test quality", async () => {
    trained = await neumfModel.train(context); // tiny data: a second or two even with the default epochs
    expect(trained.epochs).toBeGreaterThanOrEqual(1);
    expect(trained.trainingMs).toBeGreaterThan(0);
    expect(trained.notes).toMatch(new RegExp(`epochs ${trained.epochs},.*seed 3,.*backend \\w+`));
    expect(lines.filter((l) => /^NeuMF epoch \d+: loss [\d.]+, .*HR@10 [\d.]+, NDCG@10 [\d.]+$/.test(l))).toHaveLength(trained.epochs!);
  });

  it("scores known items in (0, 1) and ranks an item it never trained on last", async () => {
    const user = data.userIndex.get("1")!;
    const scores = await trained.scorer.score(user, Int32Array.of(data.trainItems[user]![0]!, data.itemIndex.get("301")!));
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[0]).toBeLessThan(1);
    expect(scores[1]).toBeNaN();

    const loner = data.cases.filter((c) => data.userIds[c.user] === "999");
    expect(loner).toHaveLength(1);
    expect(data.itemIds[loner[0]!.heldOut]).toBe("301");
    const metrics = await evaluateModel(trained, { ...data, cases: loner }, { coverage: false });
    expect(metrics.hitRatio).toBe(0);

    const all = await evaluateModel(trained, data, { coverage: true });
    expect(all.users).toBe(41);
    expect(all.hitRatio).toBeGreaterThan(0);
    expect(all.coverage).toBeGreaterThan(0);
  });
});
