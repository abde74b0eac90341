import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countLines, readRecords } from "./record-source.js";

describe("readRecords", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "import-records-"));

  it("numbers JSON Lines rows by line, skips blank lines, and yields unreadable lines as errors", async () => {
    const file = path.join(dir, "rows.jsonl");
    writeFileSync(file, '{"a":1}\n\n{oops\n[1]\n{"a":2}');
    const rows = [];
    for await (const r of readRecords(file, "jsonl")) rows.push(r);
    expect(rows.map((r) => [r.line, r.error ? r.error.split(" (")[0] : r.record])).toEqual([
      [1, { a: 1 }],
      [3, "not valid JSON"],
      [4, "must be a JSON object"],
      [5, { a: 2 }],
    ]);
    expect(await countLines(file)).toBe(5);
    const resumed = [];
    for await (const r of readRecords(file, "jsonl", 3)) resumed.push(r.line);
    expect(resumed).toEqual([4, 5]);
  });

  it("numbers CSV records by the line they end on, quotes spanning lines included, and flags a wrong field count", async () => {
    const file = path.join(dir, "rows.csv");
    writeFileSync(file, 'id,text\n1,plain\n2,"two\nlines"\n3\n4,"a ""quoted"", comma"\n');
    const rows = [];
    for await (const r of readRecords(file, "csv")) rows.push([r.line, r.error ?? r.record]);
    expect(rows).toEqual([
      [2, { id: "1", text: "plain" }],
      [4, { id: "2", text: "two\nlines" }],
      [5, "has 1 fields, the header has 2"],
      [6, { id: "4", text: 'a "quoted", comma' }],
    ]);
  });
});
