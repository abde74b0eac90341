import { execFileSync } from "node:child_process";
import { readFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractMovieLensZip, MOVIELENS_FILES, resolveMovieLensDir } from "./movielens.js";

/** Builds a zip with Python's zipfile module (entries: name → content). */
function writeZip(zipPath: string, entries: Record<string, string>): void {
  const script =
    "import sys, json, zipfile\n" +
    "entries = json.loads(sys.argv[2])\n" +
    "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n" +
    "    for name, content in entries.items():\n" +
    "        z.writestr(name, content)\n";
  execFileSync("python3", ["-c", script, zipPath, JSON.stringify(entries)]);
}

const CSVS: Record<string, string> = {
  "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Animation\n",
  "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n",
  "tags.csv": "userId,movieId,tag,timestamp\n2,1,pixar,1445714994\n",
  "links.csv": "movieId,imdbId,tmdbId\n1,0114709,862\n",
};

describe("resolveMovieLensDir", () => {
  let root: string;
  let zipPath: string;
  let server: Server;
  let url: string;
  let requests = 0;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "movielens-"));
    zipPath = path.join(root, "ml-latest-small.zip");
    const entries: Record<string, string> = { "ml-latest-small/README.txt": "GroupLens licence\n" };
    for (const [name, content] of Object.entries(CSVS)) entries[`ml-latest-small/${name}`] = content;
    writeZip(zipPath, entries);
    const zip = await readFile(zipPath);
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === "/ml-latest-small.zip") {
        res.writeHead(200, { "content-type": "application/zip", "content-length": zip.length });
        res.end(zip);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it("uses a given directory that has the four files", async () => {
    const dir = path.join(root, "given");
    await mkdir(dir);
    for (const [name, content] of Object.entries(CSVS)) await writeFile(path.join(dir, name), content);
    const paths = await resolveMovieLensDir({ env: { MOVIELENS_DIR: dir } });
    expect(paths).toEqual({
      dir,
      movies: path.join(dir, "movies.csv"),
      ratings: path.join(dir, "ratings.csv"),
      tags: path.join(dir, "tags.csv"),
      links: path.join(dir, "links.csv"),
    });
  });

  it("names the missing file of MOVIELENS_DIR, and a directory that does not exist", async () => {
    const dir = path.join(root, "partial");
    await mkdir(dir);
    await writeFile(path.join(dir, "movies.csv"), CSVS["movies.csv"] ?? "");
    await writeFile(path.join(dir, "ratings.csv"), CSVS["ratings.csv"] ?? "");
    await expect(resolveMovieLensDir({ env: { MOVIELENS_DIR: dir } })).rejects.toThrow(
      `MOVIELENS_DIR ${dir} has no tags.csv (expected movies.csv, ratings.csv, tags.csv, links.csv)`,
    );
    await expect(resolveMovieLensDir({ dir: path.join(root, "absent") })).rejects.toThrow(/is not a directory/);
  });

  it("downloads the zip once into the cache, extracts it, and reuses the cache", async () => {
    const cacheDir = path.join(root, "cache");
    const progress: number[] = [];
    const first = await resolveMovieLensDir({
      env: {},
      cacheDir,
      url: `${url}/ml-latest-small.zip`,
      onDownloadProgress: (received) => progress.push(received),
    });
    expect(first.dir).toBe(path.join(cacheDir, "data", "ml-latest-small"));
    expect(await readFile(first.movies, "utf8")).toBe(CSVS["movies.csv"]);
    expect(await readFile(first.links, "utf8")).toBe(CSVS["links.csv"]);
    expect((await readdir(first.dir)).sort()).toEqual([...MOVIELENS_FILES, "README.txt"].sort());
    expect(progress.length).toBeGreaterThan(0);
    expect(requests).toBe(1);

    const second = await resolveMovieLensDir({ env: {}, cacheDir, url: `${url}/ml-latest-small.zip` });
    expect(second).toEqual(first);
    expect(requests).toBe(1);
  });

  it("reports an HTTP failure with its status and leaves no partial file", async () => {
    const cacheDir = path.join(root, "cache-404");
    await expect(resolveMovieLensDir({ env: {}, cacheDir, url: `${url}/missing.zip` })).rejects.toThrow(
      /download of .*missing\.zip failed: HTTP 404/,
    );
    expect(await readdir(path.join(cacheDir, "data"))).toEqual([]);
  });

  it("names a file the zip lacks", async () => {
    const incomplete = path.join(root, "incomplete.zip");
    writeZip(incomplete, { "ml-latest-small/movies.csv": CSVS["movies.csv"] ?? "" });
    await expect(extractMovieLensZip(incomplete, path.join(root, "out"))).rejects.toThrow(
      `MovieLens zip ${incomplete} has no ratings.csv`,
    );
  });

  it("refuses a zip whose entry names escape the destination", async () => {
    const evil = path.join(root, "evil.zip");
    const entries: Record<string, string> = { "../movies.csv": "x" };
    writeZip(evil, entries);
    const out = path.join(root, "evil-out", "inner");
    await expect(extractMovieLensZip(evil, out)).rejects.toThrow(/invalid relative path/);
    expect(await readdir(path.join(root, "evil-out"))).toEqual(["inner"]);
    expect(await readdir(out)).toEqual([]);
  });
});
