import { statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import { createProgressReporter, type ProgressMode, type ProgressReporter } from "../import-progress.js";
import { FieldError, mapRow, type FieldMapping, type ImportKind, type MappedRow } from "./field-mapping.js";
import { checkpointPath, readCheckpoint, removeCheckpoint, writeCheckpoint, type ImportCounts, type RowError } from "./import-checkpoint.js";
import { MAX_BATCH_SIZE, type BatchSender, type RowOutcome } from "./import-target.js";
import { countLines, formatOf, readRecords, type SourceFormat } from "./record-source.js";

/** Most batches one import keeps in flight. */
export const MAX_CONCURRENCY = 8;

/** Options of {@link runImport}. */
export interface RunImportOptions {
  /** What the file holds. */
  readonly kind: ImportKind;
  /** The input file (JSON Lines or CSV). */
  readonly file: string;
  /** Its format (default: by extension, see `formatOf`). */
  readonly format?: SourceFormat;
  /** Target field ← source mapping (see field-mapping.ts); unmapped fields come from same-named columns. */
  readonly mapping: FieldMapping;
  /** Where the batches go. */
  readonly sender: BatchSender;
  /** Rows per batch RPC, 1 to 1000 (default 500). */
  readonly batchSize?: number;
  /**
   * Batches in flight at once, 1 to {@link MAX_CONCURRENCY} (default 2): the next batch is sent while
   * the previous one is stored. Answers are applied and checkpointed in file order.
   */
  readonly concurrency?: number;
  /** Continue an interrupted import of the same file from its checkpoint (default true). */
  readonly resume?: boolean;
  /** Folder of the checkpoints (default `.run/import` under the working directory). */
  readonly checkpointDir?: string;
  /** Stop after this many batches, leaving the checkpoint (for trying resumption); default no limit. */
  readonly maxBatches?: number;
  /** How many rejected rows the summary names (default 10). */
  readonly maxErrors?: number;
  /** How progress is shown (default: a bar on a TTY, a line at the end otherwise). */
  readonly progress?: ProgressMode | ProgressReporter;
}

/** What {@link runImport} did, over the whole file (a resumed import's earlier runs included). */
export interface ImportSummary {
  /** The kind imported. */
  readonly kind: ImportKind;
  /** The input file. */
  readonly file: string;
  /** Where the rows went. */
  readonly target: string;
  /** Counts over the whole file. */
  readonly counts: ImportCounts;
  /** The first rejected rows (up to `maxErrors`), by line. */
  readonly errors: readonly RowError[];
  /** The line an interrupted import was resumed after, or 0. */
  readonly resumedAfterLine: number;
  /** The last line acknowledged. */
  readonly lastLine: number;
  /** Whether the whole file was imported (false when stopped by `maxBatches`). */
  readonly complete: boolean;
  /** Rows read by this run (a resumed import's earlier rows left out). */
  readonly readThisRun: number;
  /** Batch RPCs sent by this run. */
  readonly batches: number;
  /** Wall time of this run, in milliseconds. */
  readonly elapsedMs: number;
}

/** The target could not be reached or did not answer in time; the checkpoint says where to resume. */
export class ImportUnavailableError extends Error {
  /**
   * @param message - what failed, with the target and the line to resume after.
   * @param code - UNAVAILABLE or DEADLINE_EXCEEDED.
   */
  constructor(
    message: string,
    readonly code: Code,
  ) {
    super(message);
    this.name = "ImportUnavailableError";
  }
}

/**
 * Imports one JSON Lines or CSV file through the kind's public batch RPC:
 * each row is read (streaming), mapped ({@link mapRow}; a row that cannot be mapped is rejected
 * with its line and field and not sent), gathered into batches of `batchSize`, and sent with
 * `concurrency` batches in flight; each
 * answer's per-row results are counted (created, updated, unchanged, rejected with the service's
 * message and field). After each acknowledged batch, a checkpoint records the last line done and
 * the counts, so an interrupted import (killed, target down, `maxBatches`) continues after that line
 * when run again (rows of later batches stored before the interruption are then answered
 * unchanged); a finished import removes its checkpoint, so running the same file again sends
 * every row again and the services answer unchanged / duplicate: nothing changes.
 *
 * @param options - kind, file, mapping, sender and limits.
 * @returns the summary over the whole file.
 * @throws ImportUnavailableError when the target is down or silent (the checkpoint is kept);
 *   ConnectError for a refused batch (UNAUTHENTICATED with a wrong token, for example); Error
 *   naming the file for an unreadable file or a CSV that cannot be parsed.
 */
export async function runImport(options: RunImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new Error(`--batch-size must be 1 to ${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new Error(`--concurrency must be 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  }
  const maxErrors = options.maxErrors ?? 10;
  const format = options.format ?? formatOf(options.file);
  const stat = statSync(options.file);
  if (!stat.isFile()) throw new Error(`${options.file}: is not a file`);
  const target = options.sender.target;
  const cpFile = checkpointPath(options.checkpointDir ?? path.resolve(".run", "import"), options.kind, options.file, target);
  const previous = options.resume === false ? undefined : readCheckpoint(cpFile, { kind: options.kind, input: options.file, target });
  const counts: ImportCounts = previous ? { ...previous.counts } : { read: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const errors: RowError[] = previous ? [...previous.errors] : [];
  const resumedAfterLine = previous?.line ?? 0;
  let acknowledged = resumedAfterLine;

  const reporter = typeof options.progress === "object" ? options.progress : createProgressReporter(options.progress);
  const stage = reporter.stage(options.kind, "lines");
  const totalLines = await countLines(options.file);
  stage.update(acknowledged, totalLines);

  const reject = (line: number, message: string, field?: string): void => {
    counts.rejected++;
    if (errors.length < maxErrors) errors.push(field === undefined ? { line, message } : { line, field, message });
  };
  const save = (): void =>
    writeCheckpoint(cpFile, {
      version: 1,
      kind: options.kind,
      file: path.resolve(options.file),
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      target,
      line: acknowledged,
      counts,
      errors,
    });

  // A batch holds the rows read since the previous one: those to send and those rejected while
  // reading. Its counts are applied only when it is acknowledged, in file order, so the checkpoint
  // always covers exactly the rows up to its line, however many batches are in flight.
  interface Batch {
    readonly rows: { line: number; row: MappedRow }[];
    readonly localRejects: RowError[];
    read: number;
    lastLine: number;
    answer?: Promise<{ ok: RowOutcome[] } | { err: unknown }>;
  }
  const newBatch = (): Batch => ({ rows: [], localRejects: [], read: 0, lastLine: acknowledged });
  const inFlight: Batch[] = [];
  let current = newBatch();
  let batches = 0;

  const dispatch = (batch: Batch): void => {
    // Settled into a value at once, so a failure of a later batch is never an unhandled rejection.
    batch.answer =
      batch.rows.length === 0
        ? Promise.resolve({ ok: [] })
        : options.sender.send(batch.rows.map((r) => r.row)).then(
            (ok) => ({ ok }),
            (err: unknown) => ({ err }),
          );
    if (batch.rows.length > 0) batches++;
    inFlight.push(batch);
  };
  const acknowledgeOldest = async (): Promise<void> => {
    const batch = inFlight.shift()!;
    const answer = await batch.answer!;
    if ("err" in answer) {
      await Promise.all(inFlight.map((b) => b.answer));
      const e = ConnectError.from(answer.err);
      if (e.code === Code.Unavailable || e.code === Code.DeadlineExceeded) {
        // The checkpoint on disk stays the one of the last acknowledged batch.
        const resume = acknowledged > 0 ? `; run the same command again to continue after line ${acknowledged}` : "";
        throw new ImportUnavailableError(
          `${options.kind}: ${target} is ${e.code === Code.Unavailable ? "unavailable" : "not answering (deadline exceeded)"}: ${e.rawMessage}${resume}`,
          e.code,
        );
      }
      throw e;
    }
    const rejections: RowError[] = [...batch.localRejects];
    answer.ok.forEach((outcome, i) => {
      if (outcome.kind !== "rejected") counts[outcome.kind]++;
      else {
        const line = batch.rows[i]!.line;
        rejections.push(outcome.field === undefined ? { line, message: outcome.message } : { line, field: outcome.field, message: outcome.message });
      }
    });
    rejections.sort((a, b) => a.line - b.line);
    for (const r of rejections) reject(r.line, r.message, r.field);
    counts.read += batch.read;
    acknowledged = batch.lastLine;
    save();
    stage.update(acknowledged);
  };

  let stopped = false;
  try {
    for await (const source of readRecords(options.file, format, resumedAfterLine)) {
      current.read++;
      current.lastLine = source.line;
      if (source.error !== undefined) current.localRejects.push({ line: source.line, message: source.error });
      else {
        try {
          current.rows.push({ line: source.line, row: mapRow(options.kind, options.mapping, source.record) });
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          current.localRejects.push({ line: source.line, field: err.field, message: err.problem });
        }
      }
      if (current.rows.length >= batchSize) {
        dispatch(current);
        current = newBatch();
        while (inFlight.length >= concurrency) await acknowledgeOldest();
        if (options.maxBatches !== undefined && batches >= options.maxBatches) {
          stopped = true;
          break;
        }
      }
    }
    if (!stopped && current.read > 0) dispatch(current);
    while (inFlight.length > 0) await acknowledgeOldest();
    if (!stopped) removeCheckpoint(cpFile);
    stage.finish(`${counts.read} rows: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.rejected} rejected`, performance.now() - started);
  } finally {
    reporter.stop();
  }
  const elapsedMs = performance.now() - started;
  return { kind: options.kind, file: options.file, target, counts, errors, resumedAfterLine, lastLine: acknowledged, complete: !stopped, readThisRun: counts.read - (previous?.counts.read ?? 0), batches, elapsedMs };
}
