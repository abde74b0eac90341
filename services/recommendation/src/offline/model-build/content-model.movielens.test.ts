import { beforeAll, describe, expect, it } from "vitest";
import type { CatalogProduct } from "../../models/catalog.js";
import { readMovieLensCatalog } from "./movielens-files.js";
import type { Neighbor } from "../../models/content/neighbors.js";
import { ContentModel } from "../../models/content/content-model.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";

describe("ContentModel on the MovieLens catalog", () => {
  let products: CatalogProduct[];
  let content: ContentModel;
  let neighbors: Map<string, Neighbor[]>;
  const idOf = (title: string): string => {
    const p = products.find((x) => x.title === title);
    if (!p) throw new Error(`no movie ${title}`);
    return p.productId;
  };
  const titles = (list: readonly Neighbor[]): string[] => list.map((n) => products.find((p) => p.productId === n.productId)!.title);

  beforeAll(async () => {
    products = await readMovieLensCatalog(MOVIELENS_DIR);
    content = ContentModel.build(products);
    neighbors = content.neighbors({ k: 50 });
  });

  it("indexes all 9,742 movies", () => {
    expect(products).toHaveLength(9742);
    expect(content.size).toBe(9742);
    expect(neighbors.size).toBe(9742);
  });

  it("finds Toy Story 2 among the neighbours of Toy Story", () => {
    const list = neighbors.get(idOf("Toy Story (1995)"))!;
    expect(list).toHaveLength(50);
    expect(titles(list.slice(0, 10))).toContain("Toy Story 2 (1999)");
    expect(titles(list.slice(0, 10))).toContain("Toy Story 3 (2010)");
  });

  it("finds the other Star Wars episodes among the neighbours of A New Hope", () => {
    const top = titles(neighbors.get(idOf("Star Wars: Episode IV - A New Hope (1977)"))!.slice(0, 5));
    expect(top).toContain("Star Wars: Episode V - The Empire Strikes Back (1980)");
    expect(top).toContain("Star Wars: Episode VI - Return of the Jedi (1983)");
  });

  it("orders neighbour lists by decreasing cosine in (0, 1]", () => {
    const bad: string[] = [];
    for (const [id, list] of neighbors) {
      list.forEach((n, i) => {
        if (!(n.score > 0 && n.score <= 1 + 1e-12) || (i > 0 && n.score > list[i - 1]!.score) || n.productId === id) {
          bad.push(`${id}#${i}`);
        }
      });
    }
    expect(bad).toEqual([]);
  });

  it("gives the same lists as a brute-force scan", () => {
    for (const p of products.filter((_, i) => i % 487 === 0)) {
      expect(neighbors.get(p.productId)).toEqual(content.nearest(p.productId, 50));
    }
  });
});
