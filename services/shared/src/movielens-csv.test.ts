import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatImdbId,
  parseGenres,
  parseMovieTitle,
  readLinks,
  readMovies,
  readRatingUserIds,
  readTags,
} from "./movielens-csv.js";

describe("parseMovieTitle", () => {
  it("takes the year from a trailing (YYYY) and keeps it in the trimmed title", () => {
    expect(parseMovieTitle("Toy Story (1995)")).toEqual({ title: "Toy Story (1995)", year: 1995 });
    expect(parseMovieTitle("Justice League: Doom (2012) ")).toEqual({ title: "Justice League: Doom (2012)", year: 2012 });
  });
  it("uses the last parenthesis only, the first year of a range, and 0 when there is none", () => {
    expect(parseMovieTitle("City of Lost Children, The (Cité des enfants perdus, La) (1995)").year).toBe(1995);
    expect(parseMovieTitle("2001: A Space Odyssey (1968)").year).toBe(1968);
    expect(parseMovieTitle("Death Note: Desu nôto (2006–2007)").year).toBe(2006);
    expect(parseMovieTitle("Babylon 5")).toEqual({ title: "Babylon 5", year: 0 });
    expect(parseMovieTitle("1984 (Nineteen Eighty-Four)").year).toBe(0);
  });
});

describe("parseGenres", () => {
  it("splits on '|' and drops '(no genres listed)'", () => {
    expect(parseGenres("Adventure|Animation|Children")).toEqual(["Adventure", "Animation", "Children"]);
    expect(parseGenres("(no genres listed)")).toEqual([]);
    expect(parseGenres("")).toEqual([]);
  });
});

describe("formatImdbId", () => {
  it("prefixes tt and zero-pads to 7 digits", () => {
    expect(formatImdbId("0114709")).toBe("tt0114709");
    expect(formatImdbId("114709")).toBe("tt0114709");
    expect(formatImdbId("12345678")).toBe("tt12345678");
    expect(formatImdbId("")).toBe("");
    expect(formatImdbId("abc")).toBe("");
  });
});

describe("CSV readers", () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "movielens-csv-"));
    await writeFile(
      file("movies.csv"),
      "\uFEFFmovieId,title,genres\n" +
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n" +
        '11,"American President, The (1995)",Comedy|Drama|Romance\n' +
        '12,"Dracula: Dead and Loving It (1995) ",Comedy|Horror\n' +
        "143410,Hyena Road,(no genres listed)\n",
    );
    await writeFile(
      file("tags.csv"),
      "userId,movieId,tag,timestamp\n" +
        "2,60756,funny,1445714994\n" +
        "2,60756,Highly quotable,1445714996\n" +
        "3,60756, Funny ,1445714997\n" +
        '4,1,"pixar, animation",1\n' +
        "5,1,   ,2\n",
    );
    await writeFile(file("links.csv"), "movieId,imdbId,tmdbId\n1,0114709,862\n791,113610,\n");
    await writeFile(file("ratings.csv"), "userId,movieId,rating,timestamp\n10,1,4.0,1\n2,1,3.5,2\n10,2,1.0,3\n1,3,5.0,4\n");
    await writeFile(file("bad-header.csv"), "id,title,genres\n1,x,y\n");
    await writeFile(file("bad-id.csv"), "movieId,title,genres\n1,x,y\nabc,z,w\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads movies with quoted titles, years and genres", async () => {
    const movies = await readMovies(file("movies.csv"));
    expect(movies).toEqual([
      { movieId: "1", title: "Toy Story (1995)", year: 1995, genres: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"] },
      { movieId: "11", title: "American President, The (1995)", year: 1995, genres: ["Comedy", "Drama", "Romance"] },
      { movieId: "12", title: "Dracula: Dead and Loving It (1995)", year: 1995, genres: ["Comedy", "Horror"] },
      { movieId: "143410", title: "Hyena Road", year: 0, genres: [] },
    ]);
  });

  it("reads distinct trimmed tags per movie, case-insensitively deduplicated", async () => {
    const tags = await readTags(file("tags.csv"));
    expect(tags.get("60756")).toEqual(["funny", "Highly quotable"]);
    expect(tags.get("1")).toEqual(["pixar, animation"]);
    expect(tags.has("2")).toBe(false);
  });

  it("reads links with padded IMDb ids and empty unknown TMDB ids", async () => {
    const links = await readLinks(file("links.csv"));
    expect(links.get("1")).toEqual({ imdbId: "tt0114709", tmdbId: "862" });
    expect(links.get("791")).toEqual({ imdbId: "tt0113610", tmdbId: "" });
  });

  it("reads distinct rating user ids in numeric order", async () => {
    expect(await readRatingUserIds(file("ratings.csv"))).toEqual(["1", "2", "10"]);
  });

  it("names the file on a wrong header, a bad id and a missing file", async () => {
    await expect(readMovies(file("bad-header.csv"))).rejects.toThrow(/bad-header\.csv: expected the header movieId,title,genres/);
    await expect(readMovies(file("bad-id.csv"))).rejects.toThrow(/bad-id\.csv:3: movieId must be digits/);
    await expect(readMovies(file("nope.csv"))).rejects.toThrow(/ENOENT/);
  });
});
