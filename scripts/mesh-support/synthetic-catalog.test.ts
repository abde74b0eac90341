import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readLinks, readMovies, readRatingUserIds, readTags } from "../../services/shared/src/movielens-csv.js";
import { assertMovieLensDir } from "../../services/shared/src/movielens.js";
import { tokenize } from "../../services/recommendation/src/models/content/tokenizer.js";
import {
  MOVIELENS_GENRES,
  resolveSyntheticPlan,
  syntheticLatentFactors,
  syntheticWord,
  writeSyntheticCatalog,
} from "./synthetic-catalog.js";

const root = mkdtempSync(path.join(tmpdir(), "synthetic-catalog-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = ["movies.csv", "ratings.csv", "tags.csv", "links.csv"] as const;

describe("writeSyntheticCatalog", () => {
  it("writes the same files for the same seed, other files for another seed", async () => {
    const a = await writeSyntheticCatalog(path.join(root, "a"), { items: 400, seed: 7 });
    const b = await writeSyntheticCatalog(path.join(root, "b"), { items: 400, seed: 7 });
    const c = await writeSyntheticCatalog(path.join(root, "c"), { items: 400, seed: 8 });
    for (const file of FILES) {
      expect(readFileSync(path.join(b.dir, file)).equals(readFileSync(path.join(a.dir, file))), file).toBe(true);
    }
    expect(readFileSync(path.join(c.dir, "ratings.csv")).equals(readFileSync(path.join(a.dir, "ratings.csv")))).toBe(false);
    expect({ ratings: b.ratings, tags: b.tags, ratedItems: b.ratedItems }).toEqual({ ratings: a.ratings, tags: a.tags, ratedItems: a.ratedItems });
  });

  it("reuses a directory generated with the same parameters and regenerates it for others", async () => {
    const dir = path.join(root, "reuse");
    expect((await writeSyntheticCatalog(dir, { items: 300 })).reused).toBe(false);
    const again = await writeSyntheticCatalog(dir, { items: 300 });
    expect(again.reused).toBe(true);
    expect(again.plan.seed).toBe(42);
    expect((await writeSyntheticCatalog(dir, { items: 300, seed: 1 })).reused).toBe(false);
  });

  it("writes a MovieLens directory that the repository's readers parse, with the planned counts", async () => {
    const result = await writeSyntheticCatalog(path.join(root, "parse"), { items: 2_000, users: 600, seed: 3 });
    await assertMovieLensDir(result.dir);
    const at = (f: string): string => path.join(result.dir, f);

    const movies = await readMovies(at("movies.csv"));
    expect(movies.map((m) => m.movieId)).toEqual(Array.from({ length: 2_000 }, (_, i) => String(i + 1)));
    for (const movie of movies) {
      expect(movie.year).toBeGreaterThanOrEqual(1930);
      expect(movie.year).toBeLessThanOrEqual(2023);
      expect(movie.genres.length).toBeGreaterThanOrEqual(1);
      expect(movie.genres.length).toBeLessThanOrEqual(3);
      for (const genre of movie.genres) expect(MOVIELENS_GENRES).toContain(genre);
      const words = movie.title.replace(/ \(\d{4}\)$/, "").replace(/, The$/, "").split(" ");
      expect(words.length).toBeGreaterThanOrEqual(2);
      expect(words.length).toBeLessThanOrEqual(4);
    }
    expect(movies.some((m) => m.title.includes(", The ("))).toBe(true); // a quoted field, read back whole

    expect(await readRatingUserIds(at("ratings.csv"))).toEqual(Array.from({ length: 600 }, (_, i) => String(i + 1)));
    const lines = readFileSync(at("ratings.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("userId,movieId,rating,timestamp");
    expect(lines.length - 1).toBe(result.ratings);
    const lastTime = new Map<string, number>();
    const pairs = new Set<string>();
    for (const line of lines.slice(1)) {
      const [user, movie, rating, ts] = line.split(",");
      // The engagement import's row rules: half stars 0.5–5.0, integer seconds.
      expect(Number(rating) * 2).toSatisfy(Number.isInteger);
      expect(Number(rating)).toBeGreaterThanOrEqual(0.5);
      expect(Number(rating)).toBeLessThanOrEqual(5);
      expect(Number(movie)).toBeLessThanOrEqual(2_000);
      expect(Number(ts)).toBeGreaterThanOrEqual(lastTime.get(user!) ?? 0);
      lastTime.set(user!, Number(ts));
      expect(pairs.has(`${user}:${movie}`)).toBe(false); // one rating per user and movie, as MovieLens
      pairs.add(`${user}:${movie}`);
    }
    expect(result.ratings / 600).toBeGreaterThan(17);
    expect(result.ratings / 600).toBeLessThan(23);

    const tags = await readTags(at("tags.csv"));
    expect([...tags.values()].flat().length).toBeGreaterThan(0);
    const links = await readLinks(at("links.csv"));
    expect(links.size).toBe(2_000);
    expect(links.get("17")).toEqual({ imdbId: "tt0000017", tmdbId: "17" });
  });

  it("gives popular items more ratings than a uniform draw would", async () => {
    const result = await writeSyntheticCatalog(path.join(root, "zipf"), { items: 5_000, users: 1_000, seed: 5 });
    const counts = new Map<string, number>();
    for (const line of readFileSync(path.join(result.dir, "ratings.csv"), "utf8").trim().split("\n").slice(1)) {
      const movie = line.split(",")[1]!;
      counts.set(movie, (counts.get(movie) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    expect(top).toBeGreaterThan(10 * (result.ratings / 5_000));
    expect(result.ratedItems).toBe(counts.size);
  });
});

describe("resolveSyntheticPlan", () => {
  it("sizes users and vocabulary with the catalog", () => {
    expect(resolveSyntheticPlan({ items: 100_000 })).toMatchObject({ items: 100_000, users: 5_000, vocabulary: 5_000, seed: 42, ratingsPerUser: 20 });
    expect(resolveSyntheticPlan({ items: 1_000 }).users).toBe(500);
  });

  it("names the field that is out of range", () => {
    expect(() => resolveSyntheticPlan({ items: 1.5 })).toThrow(/items must be an integer/);
    expect(() => resolveSyntheticPlan({ items: 100, seed: -1 })).toThrow(/seed must be an integer/);
    expect(() => resolveSyntheticPlan({ items: 100, users: 0 })).toThrow(/users must be an integer/);
  });
});

describe("syntheticLatentFactors", () => {
  it("draws the same factors again for a plan, about N(0, 1/√d) per component", () => {
    const plan = resolveSyntheticPlan({ items: 2_000, seed: 9 });
    const a = syntheticLatentFactors(plan);
    expect(a.items.length).toBe(2_000 * plan.latentDim);
    expect(a.users.length).toBe(500 * plan.latentDim);
    expect(syntheticLatentFactors(plan).items).toEqual(a.items);
    const variance = a.items.reduce((s, x) => s + x * x, 0) / a.items.length;
    expect(variance).toBeCloseTo(1 / Math.sqrt(plan.latentDim), 1);
  });
});

describe("syntheticWord", () => {
  it("gives distinct words that the content tokenizer keeps as one unchanged term", () => {
    const words = Array.from({ length: 3_000 }, (_, w) => syntheticWord(w, 3_000));
    expect(new Set(words).size).toBe(3_000);
    for (const word of words) expect(tokenize(word)).toEqual([word.toLowerCase()]);
  });
});
