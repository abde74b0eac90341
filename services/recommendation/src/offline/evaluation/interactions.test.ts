import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readMovieLensInteractions } from "./interactions.js";

describe("readMovieLensInteractions", () => {
  const dirs: string[] = [];
  const dirWith = async (ratings: string) => {
    const dir = await mkdtemp(join(tmpdir(), "eval-ratings-"));
    dirs.push(dir);
    await writeFile(join(dir, "ratings.csv"), ratings);
    return dir;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("reads rows with timestamps in ms", async () => {
    const dir = await dirWith("\uFEFFuserId,movieId,rating,timestamp\n1,31,2.5,1260759144\n2,10,4.0,835355493\n");
    expect(await readMovieLensInteractions(dir)).toEqual([
      { userId: "1", productId: "31", rating: 2.5, timestampMs: 1_260_759_144_000 },
      { userId: "2", productId: "10", rating: 4, timestampMs: 835_355_493_000 },
    ]);
  });

  it("rejects a wrong header or a malformed row, naming the file", async () => {
    await expect(readMovieLensInteractions(await dirWith("user,movie,rating,timestamp\n"))).rejects.toThrow(/ratings\.csv: expected the header/);
    await expect(readMovieLensInteractions(await dirWith("userId,movieId,rating,timestamp\n1,x,4,5\n"))).rejects.toThrow(/ratings\.csv:2: malformed/);
    await expect(readMovieLensInteractions(await dirWith("userId,movieId,rating,timestamp\n1,2,4,\n"))).rejects.toThrow(/malformed/);
  });
});
