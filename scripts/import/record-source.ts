import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";

/** Formats an importer reads: JSON Lines (one JSON object per line) or CSV with a header row. */
export type SourceFormat = "jsonl" | "csv";

/**
 * One row of a source: its line in the file (from 1; a CSV record spanning lines has the line it
 * ends on) and either its columns or why it could not be read.
 */
export type SourceRecord =
  | { readonly line: number; readonly record: Readonly<Record<string, unknown>>; readonly error?: undefined }
  | { readonly line: number; readonly record?: undefined; readonly error: string };

/** The rows of one import, in file order. */
export type RecordSource = AsyncIterable<SourceRecord>;

/**
 * The format of a file by its extension: `.jsonl`, `.ndjson` or `.json` → jsonl, `.csv` → csv.
 *
 * @param file - the file's path.
 * @throws Error naming the file when the extension says neither (pass `--format`).
 */
export function formatOf(file: string): SourceFormat {
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return "jsonl";
  if (/\.csv$/i.test(file)) return "csv";
  throw new Error(`${file}: cannot tell the format from the extension; pass --format jsonl or --format csv`);
}

/**
 * Reads a JSON Lines or CSV file row by row (streaming: memory does not grow with the file). Blank
 * lines are skipped. A JSON line that does not parse or is not an object, and a CSV record whose
 * field count differs from the header's, are yielded as an `error` row, so the import rejects that
 * row by line and goes on.
 *
 * @param file - the file's path.
 * @param format - its format.
 * @param afterLine - skip rows ending on or before this line (resuming), default 0.
 * @throws Error naming the file and line for a CSV that cannot be parsed at all (an unclosed quote,
 *   for example), or when the file cannot be read.
 */
export async function* readRecords(file: string, format: SourceFormat, afterLine = 0): RecordSource {
  if (format === "jsonl") {
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (line <= afterLine || text.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        yield { line, error: `not valid JSON (${(err as Error).message})` };
        continue;
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) yield { line, error: "must be a JSON object" };
      else yield { line, record: parsed as Record<string, unknown> };
    }
    return;
  }
  const parser = createReadStream(file).pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = record;
        continue;
      }
      if (info.lines <= afterLine) continue;
      if (record.length !== header.length) {
        yield { line: info.lines, error: `has ${record.length} fields, the header has ${header.length}` };
        continue;
      }
      const row: Record<string, string> = {};
      header.forEach((column, i) => (row[column] = record[i]!));
      yield { line: info.lines, record: row };
    }
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new Error(`${file}${e.lines !== undefined ? ` line ${e.lines}` : ""}: cannot be parsed as CSV (${e.message})`);
  }
}

/**
 * Counts the lines of a file (newline bytes, plus one for a last line without one), for the
 * progress bar's total.
 *
 * @param file - the file's path.
 */
export async function countLines(file: string): Promise<number> {
  let count = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? count : count + 1;
}
