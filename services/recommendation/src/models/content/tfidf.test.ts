import { describe, expect, it } from "vitest";
import { ContentModel } from "./content-model.js";
import { computeNeighbors } from "./neighbors.js";
import { buildTfIdf, cosine, updateTfIdf } from "./tfidf.js";

/*
 * Hand-computed corpus (N = 4): d1 = a a b, d2 = a c, d3 = b c c, d4 = d.
 * df: a = b = c = 2, d = 1, so idf(a, b, c) = ln 2 and idf(d) = ln 4.
 * d1: wf(a) = 1 + ln 2, wf(b) = 1; both times ln 2, then L2-normalised:
 *     a = (1 + ln 2) / sqrt((1 + ln 2)^2 + 1) = 0.861037, b = 1 / sqrt(...) = 0.508542.
 * d2: a = c = 1/sqrt(2). d3: b = 0.508542, c = 0.861037. d4: d = 1.
 * cos(d1, d2) = 0.861037 / sqrt 2 = 0.608845 = cos(d2, d3); cos(d1, d3) = 0.508542^2 = 0.258615.
 */
const CORPUS = [
  { id: "d1", terms: ["a", "a", "b"] },
  { id: "d2", terms: ["a", "c"] },
  { id: "d3", terms: ["b", "c", "c"] },
  { id: "d4", terms: ["d"] },
];
const HEAVY = (1 + Math.LN2) / Math.sqrt((1 + Math.LN2) ** 2 + 1);
const LIGHT = 1 / Math.sqrt((1 + Math.LN2) ** 2 + 1);

describe("buildTfIdf", () => {
  const model = buildTfIdf(CORPUS);
  const weights = (id: string): Record<string, number> => {
    const names = [...model.vocabulary.keys()];
    const v = model.vectors[model.indexOf.get(id)!]!;
    return Object.fromEntries([...v.terms].map((t, i) => [names[t]!, v.weights[i]!]));
  };

  it("computes document frequencies and idf = ln(N / df)", () => {
    expect([...model.df]).toEqual([2, 2, 2, 1]);
    expect(model.idf[0]).toBeCloseTo(Math.LN2, 12);
    expect(model.idf[3]).toBeCloseTo(Math.log(4), 12);
  });

  it("uses sublinear tf (1 + ln tf) and L2-normalises", () => {
    const d1 = weights("d1");
    expect(d1.a).toBeCloseTo(HEAVY, 12);
    expect(d1.b).toBeCloseTo(LIGHT, 12);
    expect(HEAVY).toBeCloseTo(0.861037, 6);
    expect(weights("d2")).toEqual({ a: expect.closeTo(Math.SQRT1_2, 12), c: expect.closeTo(Math.SQRT1_2, 12) });
    expect(weights("d4")).toEqual({ d: 1 });
  });

  it("gives cosine similarity as the dot product of normalised vectors", () => {
    const v = (id: string) => model.vectors[model.indexOf.get(id)!]!;
    expect(cosine(v("d1"), v("d2"))).toBeCloseTo(0.608845, 6);
    expect(cosine(v("d1"), v("d3"))).toBeCloseTo(0.258615, 6);
    expect(cosine(v("d1"), v("d1"))).toBeCloseTo(1, 12);
    expect(cosine(v("d1"), v("d4"))).toBe(0);
  });

  it("drops a term found in every document (idf 0)", () => {
    const m = buildTfIdf([
      { id: "x", terms: ["common", "rare"] },
      { id: "y", terms: ["common"] },
    ]);
    expect([...m.vectors[1]!.terms]).toEqual([]);
    expect(m.vectors[0]!.weights[0]).toBe(1);
  });
});

describe("computeNeighbors", () => {
  const model = buildTfIdf(CORPUS);

  it("ranks neighbours by cosine, ties by corpus order, never the document itself", () => {
    const lists = computeNeighbors(model, { k: 5 });
    expect(lists[0]!.map((n) => n.productId)).toEqual(["d2", "d3"]);
    expect(lists[0]![0]!.score).toBeCloseTo(0.608845, 6);
    // d2 is equally similar to d1 and d3: corpus order breaks the tie.
    expect(lists[1]!.map((n) => n.productId)).toEqual(["d1", "d3"]);
    expect(lists[1]![0]!.score).toBe(lists[1]![1]!.score);
    expect(lists[3]).toEqual([]);
  });

  it("keeps only the top k", () => {
    expect(computeNeighbors(model, { k: 1 }).map((l) => l.map((n) => n.productId))).toEqual([["d2"], ["d1"], ["d2"], []]);
  });

  it("skips terms above the document-frequency cap", () => {
    // With df cap 1 every shared term (df 2) is skipped, so nobody has neighbours.
    expect(computeNeighbors(model, { k: 5, maxDocumentFrequency: 1 }).every((l) => l.length === 0)).toBe(true);
  });

  it("agrees with a brute-force scan", () => {
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
    const products = Array.from({ length: 60 }, (_, i) => ({
      productId: String(i),
      title: `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5 + 1) % 8]}`,
      categories: [`G${i % 4}`, `G${i % 3}`],
      tags: i % 2 ? ["running"] : [],
    }));
    const content = ContentModel.build(products);
    const all = content.neighbors({ k: 7 });
    for (const p of products) expect(all.get(p.productId)).toEqual(content.nearest(p.productId, 7));
  });
});

describe("ContentModel", () => {
  it("matches stemmed words across products ('running' / 'runs')", () => {
    const content = ContentModel.build([
      { productId: "1", title: "Running Man (1987)", categories: [], tags: [] },
      { productId: "2", title: "He Runs (2001)", categories: [], tags: [] },
      { productId: "3", title: "Heat (1995)", categories: [], tags: [] },
    ]);
    expect(content.similarity("1", "2")).toBeGreaterThan(0);
    expect(content.similarity("1", "3")).toBe(0);
    expect(content.neighbors().get("1")!.map((n) => n.productId)).toEqual(["2"]);
    expect(content.similarity("1", "unknown")).toBe(0);
  });
});

describe("updateTfIdf", () => {
  const docs = [
    { id: "a", terms: ["toy", "story", "pixar"] },
    { id: "b", terms: ["heat", "crime"] },
    { id: "c", terms: ["toy", "pixar", "fish"] },
  ];

  it("keeps known terms' idf, gives new terms ln(N'/df'), and keeps document frequencies exact", () => {
    const model = buildTfIdf(docs);
    const updated = updateTfIdf(model, [{ id: "d", terms: ["toy", "robot", "robot"] }], ["b"]);
    expect(updated.ids).toEqual(["a", "c", "d"]);
    const t = (term: string) => updated.vocabulary.get(term)!;
    expect(updated.idf[t("toy")]).toBe(model.idf[model.vocabulary.get("toy")!]);
    expect(updated.idf[t("robot")]).toBeCloseTo(Math.log(3 / 1), 12);
    expect(updated.df[t("toy")]).toBe(3);
    expect(updated.df[t("heat")]).toBe(0);
    const v = updated.vectors[updated.indexOf.get("d")!]!;
    let norm = 0;
    for (const w of v.weights) norm += w * w;
    expect(norm).toBeCloseTo(1, 12);
    // The input model is untouched.
    expect(model.ids).toEqual(["a", "b", "c"]);
  });

  it("replaces a document in place and equals a full build when no idf changes", () => {
    const model = buildTfIdf(docs);
    const updated = updateTfIdf(model, [{ id: "b", terms: ["heat", "crime", "crime"] }]);
    const rebuilt = buildTfIdf([docs[0]!, { id: "b", terms: ["heat", "crime", "crime"] }, docs[2]!]);
    expect(updated.ids).toEqual(["a", "b", "c"]);
    expect(cosine(updated.vectors[1]!, updated.vectors[1]!)).toBeCloseTo(1, 12);
    expect(Array.from(updated.vectors[1]!.weights)).toEqual(Array.from(rebuilt.vectors[1]!.weights));
  });
});
