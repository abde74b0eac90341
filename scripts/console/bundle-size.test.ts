import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { measureFirstLoadJs } from "./bundle-size.js";

describe("measureFirstLoadJs", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("sums the gzipped entry, its modulepreloads and static imports, not dynamic imports", () => {
    dir = mkdtempSync(path.join(tmpdir(), "console-size-"));
    mkdirSync(path.join(dir, "assets"));
    const entry = 'import{a}from"./shared.js";const lazy=()=>import("./lazy.js");console.log(a,lazy);';
    const shared = "export const a=" + JSON.stringify("x".repeat(5000)) + ";";
    writeFileSync(path.join(dir, "assets", "entry.js"), entry);
    writeFileSync(path.join(dir, "assets", "shared.js"), shared);
    writeFileSync(path.join(dir, "assets", "lazy.js"), "export default 1;".repeat(1000));
    writeFileSync(path.join(dir, "assets", "pre.js"), "export const p=1;");
    writeFileSync(
      path.join(dir, "index.html"),
      '<html><head><script type="module" crossorigin src="/assets/entry.js"></script><link rel="modulepreload" crossorigin href="/assets/pre.js"></head></html>',
    );
    const measured = measureFirstLoadJs(dir);
    expect(measured.files.map((f) => f.file).sort()).toEqual(["assets/entry.js", "assets/pre.js", "assets/shared.js"]);
    const expected = ["entry.js", "shared.js", "pre.js"].map((f) => gzipSync(Buffer.from(f === "entry.js" ? entry : f === "shared.js" ? shared : "export const p=1;"), { level: 9 }).length);
    expect(measured.gzipBytes).toBe(expected.reduce((a, b) => a + b, 0));
  });
});
