import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { MappedRow } from "./field-mapping.js";
import type { BatchSender, RowOutcome } from "./import-target.js";
import { ImportUnavailableError, runImport } from "./run-import.js";

/**
 * A target in memory that stores users by id like BatchImportUsers (created, then unchanged) and
 * goes down for the batch numbers in `downAt` (1-based, counting every call).
 */
function memoryTarget(downAt: readonly number[] = []): BatchSender & { stored: Map<string, string>; calls: number } {
  const stored = new Map<string, string>();
  const target = {
    target: "memory",
    stored,
    calls: 0,
    async send(rows: readonly MappedRow[]): Promise<RowOutcome[]> {
      target.calls++;
      if (downAt.includes(target.calls)) throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
      return rows.map((r): RowOutcome => {
        const id = String(r.fields.user_id);
        if (stored.has(id)) return { kind: "unchanged" };
        stored.set(id, String(r.fields.username));
        return { kind: "created" };
      });
    },
  };
  return target;
}

describe("runImport checkpoints", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "run-import-"));
  const file = path.join(dir, "users.csv");
  // 10 users on lines 2..11; line 7 ("u6") has one field where the header has two.
  const lines = ["user_id,username"];
  for (let i = 1; i <= 10; i++) lines.push(i === 6 ? "u6" : `u${i},name${i}`);
  writeFileSync(file, `${lines.join("\n")}\n`);

  it("continues after the last acknowledged batch when the target went down, counting each row once", async () => {
    const checkpointDir = path.join(dir, "cp1");
    const target = memoryTarget([2]);
    const base = { kind: "users" as const, file, mapping: {}, batchSize: 3, concurrency: 1, checkpointDir, progress: "silent" as const };
    const failed = await runImport({ ...base, sender: target }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(ImportUnavailableError);
    expect((failed as Error).message).toBe("users: memory is unavailable: connect ECONNREFUSED; run the same command again to continue after line 4");
    expect(readdirSync(checkpointDir)).toHaveLength(1);

    const resumed = await runImport({ ...base, sender: target });
    expect(resumed.resumedAfterLine).toBe(4);
    expect(resumed.complete).toBe(true);
    expect(resumed.counts).toEqual({ read: 10, created: 9, updated: 0, unchanged: 0, rejected: 1 });
    expect(resumed.errors).toEqual([{ line: 7, message: "has 1 fields, the header has 2" }]);
    expect(target.stored.size).toBe(9);
    expect(readdirSync(checkpointDir)).toHaveLength(0);

    const again = await runImport({ ...base, sender: target });
    expect(again.resumedAfterLine).toBe(0);
    expect(again.counts).toEqual({ read: 10, created: 0, updated: 0, unchanged: 9, rejected: 1 });
  });

  it("keeps two batches in flight and still checkpoints in file order; rows stored after the last checkpoint count as unchanged on resumption", async () => {
    const checkpointDir = path.join(dir, "cp3");
    const target = memoryTarget([2]);
    const base = { kind: "users" as const, file, mapping: {}, batchSize: 3, concurrency: 2, checkpointDir, progress: "silent" as const };
    const failed = await runImport({ ...base, sender: target }).catch((err: unknown) => err);
    expect((failed as Error).message).toMatch(/continue after line 4$/);
    // Batch 3 (lines 9 to 11) was in flight and stored when batch 2 failed.
    expect(target.stored.size).toBe(6);
    const resumed = await runImport({ ...base, sender: target });
    expect(resumed.counts).toEqual({ read: 10, created: 6, updated: 0, unchanged: 3, rejected: 1 });
    expect(resumed.errors).toEqual([{ line: 7, message: "has 1 fields, the header has 2" }]);
    expect(target.stored.size).toBe(9);
  });

  it("stops after --max-batches with the checkpoint kept, and starts over with resume off", async () => {
    const checkpointDir = path.join(dir, "cp2");
    const target = memoryTarget();
    const base = { kind: "users" as const, file, mapping: {}, batchSize: 2, checkpointDir, progress: "silent" as const };
    const stopped = await runImport({ ...base, sender: target, maxBatches: 1 });
    expect(stopped).toMatchObject({ complete: false, lastLine: 3, counts: { read: 2, created: 2 } });
    const restarted = await runImport({ ...base, sender: target, resume: false });
    expect(restarted).toMatchObject({ complete: true, resumedAfterLine: 0, counts: { read: 10, created: 7, unchanged: 2, rejected: 1 } });
    expect(existsSync(checkpointDir) ? readdirSync(checkpointDir) : []).toHaveLength(0);
  });
});
