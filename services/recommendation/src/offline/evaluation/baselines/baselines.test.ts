import { describe, expect, it } from "vitest";
import { ContentModel } from "../../../models/content/content-model.js";
import { normalizeByMax } from "../../../serving/domain/normalize.js";
import { product } from "../../../serving/testing/fakes.js";
import type { RatedInteraction } from "../interactions.js";
import { prepareEvaluation } from "../protocol.js";
import { normalizeScores } from "./blend.js";
import { ContentScorer } from "./content.js";
import { ItemKnnScorer } from "./item-knn.js";
import { interactionCounts } from "./popularity.js";

const e = (userId: string, productId: string, t: number): RatedInteraction => ({ userId, productId, timestampMs: t, rating: 4 });

// Users 1–4; the last interaction of each is held out.
const interactions = [
  e("1", "1", 1), e("1", "2", 2), e("1", "3", 3), e("1", "6", 9),
  e("2", "1", 1), e("2", "2", 2), e("2", "4", 3), e("2", "6", 9),
  e("3", "2", 1), e("3", "3", 2), e("3", "5", 3), e("3", "6", 9),
  e("4", "4", 1), e("4", "5", 2), e("4", "1", 9),
];
const catalogIds = ["1", "2", "3", "4", "5", "6", "7"];
const data = prepareEvaluation(catalogIds, interactions, { seed: 1, negatives: 1 });
const idx = (id: string) => data.itemIndex.get(id)!;
const usr = (id: string) => data.userIndex.get(id)!;

describe("interactionCounts", () => {
  it("counts training interactions only", () => {
    expect([...interactionCounts(data)]).toEqual([2, 3, 2, 2, 2, 0, 0]); // item 6 and 1 (user 4) held out
  });
});

describe("ItemKnnScorer", () => {
  it("equals the sum of brute-force item–item cosines over the user's training items", () => {
    const usersOf = (item: number) => new Set(data.trainItems.flatMap((items, u) => ([...items].includes(item) ? [u] : [])));
    const cos = (a: number, b: number) => {
      const ua = usersOf(a);
      const ub = usersOf(b);
      const both = [...ua].filter((u) => ub.has(u)).length;
      return ua.size && ub.size ? both / Math.sqrt(ua.size * ub.size) : 0;
    };
    const scorer = new ItemKnnScorer(data);
    const all = Int32Array.from(data.itemIds.keys());
    for (const user of data.userIds.map(usr)) {
      const got = scorer.score(user, all);
      const want = [...all].map((i) => [...data.trainItems[user]!].reduce((s, j) => s + cos(i, j), 0));
      // Items the user trained on include self-similarity; the protocol never scores them.
      for (const i of all) if (![...data.trainItems[user]!].includes(i)) expect(got[i]).toBeCloseTo(want[i]!, 12);
    }
    // User 4 (trained on 4 and 5) vs item 3: co-rated only through user 3 (items 3 and 5).
    expect(scorer.score(usr("4"), Int32Array.of(idx("3")))[0]).toBeCloseTo(1 / Math.sqrt(2 * 2), 12);
    expect(scorer.score(usr("4"), Int32Array.of(idx("7")))[0]).toBe(0);
  });
});

describe("ContentScorer", () => {
  const products = [
    product("1", "Space War (1990)", ["Sci-Fi"], ["aliens"]),
    product("2", "Space Love (1991)", ["Romance", "Sci-Fi"]),
    product("3", "Love Story (1970)", ["Romance"]),
    product("4", "War Games (1983)", ["Thriller"], ["hackers"]),
    product("5", "Alien Hackers (1999)", ["Sci-Fi", "Thriller"], ["aliens"]),
    product("6", "Love Actually (2003)", ["Romance", "Comedy"]),
    product("7", "Comedy Night (2001)", ["Comedy"]),
  ];
  const model = ContentModel.build(products);

  it("equals the recency-weighted mean of pairwise cosines to the latest positives", () => {
    const decay = 0.9;
    const maxPositives = 2;
    const scorer = new ContentScorer(model, data, { maxPositives, recencyDecay: decay });
    const all = Int32Array.from(data.itemIds.keys());
    for (const user of data.userIds.map(usr)) {
      const positives = [...data.trainItems[user]!].slice(0, maxPositives).map((i) => data.itemIds[i]!);
      const total = positives.reduce((s, _p, j) => s + decay ** j, 0);
      const got = scorer.score(user, all);
      for (const i of all) {
        const want = positives.reduce((s, p, j) => s + decay ** j * model.similarity(data.itemIds[i]!, p), 0) / total;
        expect(got[i]).toBeCloseTo(want, 12);
      }
    }
  });

  it("uses the newest positives first", () => {
    // User 3 trained on 2, 3, 5 (5 newest): with one positive only item 5 counts.
    const scorer = new ContentScorer(model, data, { maxPositives: 1, recencyDecay: 0.9 });
    const s = scorer.score(usr("3"), Int32Array.of(idx("1"), idx("4")));
    expect(s[0]).toBeCloseTo(model.similarity("1", "5"), 12);
    expect(s[1]).toBeCloseTo(model.similarity("4", "5"), 12);
  });
});

describe("normalizeScores", () => {
  it("'max' matches the serving normalizeByMax", () => {
    const raw = Float64Array.of(0.2, -1, 0.8, Number.NaN, 0.4, 0);
    const ids = [...raw.keys()].map(String);
    const want = normalizeByMax(ids, new Map(ids.map((id, i) => [id, raw[i]!])));
    expect([...normalizeScores(raw, "max")]).toEqual(ids.map((id) => want.get(id)));
    expect([...normalizeScores(Float64Array.of(0, 0), "max")]).toEqual([0, 0]);
  });

  it("'minmax' maps the range onto [0, 1]", () => {
    expect([...normalizeScores(Float64Array.of(2, 4, 3), "minmax")]).toEqual([0, 1, 0.5]);
    expect([...normalizeScores(Float64Array.of(5, 5), "minmax")]).toEqual([0, 0]);
  });

  it("'rank' gives the share of candidates scoring strictly lower, ties shared", () => {
    expect([...normalizeScores(Float64Array.of(10, 30, 20, 30, 0), "rank")]).toEqual([0.25, 0.75, 0.5, 0.75, 0]);
    expect([...normalizeScores(Float64Array.of(1), "rank")]).toEqual([0]);
  });
});
