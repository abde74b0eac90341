import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ImportKind } from "./field-mapping.js";

/** Counts of an import so far. */
export interface ImportCounts {
  /** Rows read (every non-blank data row). */
  read: number;
  /** Rows stored now as new (products and users created, events recorded). */
  created: number;
  /** Products stored now over a different stored version. */
  updated: number;
  /** Rows already stored identically (unchanged products and users, duplicate events). */
  unchanged: number;
  /** Rows refused, by the importer (unreadable, unmappable) or by the service. */
  rejected: number;
}

/** One rejected row, for the summary. */
export interface RowError {
  /** Its line in the file (from 1). */
  readonly line: number;
  /** The target field at fault, when known (for example "price"). */
  readonly field?: string;
  /** Why it was rejected. */
  readonly message: string;
}

/** What an interrupted import has done, enough to continue after its last acknowledged line. */
export interface ImportCheckpoint {
  /** The checkpoint format (1). */
  readonly version: 1;
  /** The kind imported. */
  readonly kind: ImportKind;
  /** The input's absolute path. */
  readonly file: string;
  /** The input's size in bytes when the import began: another size means another file. */
  readonly size: number;
  /** The input's modification time (ms) when the import began. */
  readonly mtimeMs: number;
  /** The target the rows went to. */
  readonly target: string;
  /** Every row ending on or before this line was acknowledged by the service (or rejected). */
  readonly line: number;
  /** Counts up to `line`. */
  readonly counts: ImportCounts;
  /** The first errors up to `line`. */
  readonly errors: readonly RowError[];
}

/**
 * Where the checkpoint of an import lives: `<dir>/<kind>-<name>-<hash>.json`, the hash (12 hex
 * digits of SHA-256) over the input's absolute path and the target, so two inputs or two targets
 * never share one.
 *
 * @param dir - the checkpoint folder (default of the CLI: `.run/import`).
 * @param kind - the kind imported.
 * @param file - the input file.
 * @param target - the target address.
 */
export function checkpointPath(dir: string, kind: ImportKind, file: string, target: string): string {
  const abs = path.resolve(file);
  const hash = createHash("sha256").update(`${abs}\n${target}`).digest("hex").slice(0, 12);
  return path.join(dir, `${kind}-${path.basename(abs).replace(/[^A-Za-z0-9._-]/g, "_")}-${hash}.json`);
}

/**
 * Reads the checkpoint of an interrupted import of this very file (same size and modification time)
 * to this target.
 *
 * @param file - the checkpoint's path.
 * @param expected - the import's kind, input and target.
 * @returns the checkpoint, or undefined when there is none, it is unreadable, or it is of another
 *   input version or target (the import then starts at line 1, which is safe: it is idempotent).
 */
export function readCheckpoint(
  file: string,
  expected: { readonly kind: ImportKind; readonly input: string; readonly target: string },
): ImportCheckpoint | undefined {
  let parsed: ImportCheckpoint;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as ImportCheckpoint;
  } catch {
    return undefined;
  }
  const stat = statSync(expected.input);
  const same =
    parsed.version === 1 &&
    parsed.kind === expected.kind &&
    parsed.file === path.resolve(expected.input) &&
    parsed.target === expected.target &&
    parsed.size === stat.size &&
    parsed.mtimeMs === stat.mtimeMs;
  return same ? parsed : undefined;
}

/**
 * Writes a checkpoint atomically (a temporary file renamed over it), so a kill mid-write leaves the
 * previous one.
 *
 * @param file - the checkpoint's path; its folder is created.
 * @param checkpoint - what to record.
 */
export function writeCheckpoint(file: string, checkpoint: ImportCheckpoint): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * Removes the checkpoint of a finished import.
 *
 * @param file - the checkpoint's path (absent is fine).
 */
export function removeCheckpoint(file: string): void {
  rmSync(file, { force: true });
}
