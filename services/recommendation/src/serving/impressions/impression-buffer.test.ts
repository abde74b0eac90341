import pino from "pino";
import { describe, expect, it } from "vitest";
import { ImpressionBuffer, ImpressionSinkError, type ImpressionRecord } from "./impression-buffer.js";

const logger = pino({ level: "silent" });

function impression(n: number): ImpressionRecord {
  return { recommendationId: `id-${n}`, listKind: "for_you", userId: "u1", productIds: ["1", "2"], shownAtMs: n };
}

describe("ImpressionBuffer", () => {
  it("writes batches of at most batchSize in order", async () => {
    const written: string[][] = [];
    const buffer = new ImpressionBuffer({
      sink: { write: async (b) => void written.push(b.map((i) => i.recommendationId)) },
      maxBuffered: 100,
      batchSize: 2,
      flushIntervalMs: 1_000_000,
      logger,
    });
    for (let i = 0; i < 5; i++) buffer.record(impression(i));
    await buffer.flush();
    await buffer.flush();
    await buffer.flush();
    expect(written).toEqual([["id-0", "id-1"], ["id-2", "id-3"], ["id-4"]]);
    expect(buffer.counters()).toMatchObject({ recorded: 5, buffered: 0, failures: 0 });
  });

  it("keeps a batch whose write failed and sends it again, never blocking record()", async () => {
    let down = true;
    const written: string[] = [];
    const failures: string[] = [];
    const buffer = new ImpressionBuffer({
      sink: {
        write: async (b) => {
          if (down) throw new Error("connect ECONNREFUSED");
          written.push(...b.map((i) => i.recommendationId));
        },
      },
      maxBuffered: 3,
      batchSize: 10,
      flushIntervalMs: 1_000_000,
      logger,
      onFailure: (m) => failures.push(m),
    });
    buffer.record(impression(1));
    buffer.record(impression(2));
    await buffer.flush();
    expect(buffer.counters()).toMatchObject({ recorded: 0, buffered: 2, failures: 1 });
    buffer.record(impression(3));
    buffer.record(impression(4)); // the buffer is full: dropped, counted
    expect(buffer.counters().dropped.bufferFull).toBe(1);
    down = false;
    await buffer.flush();
    expect(written).toEqual(["id-1", "id-2", "id-3"]);
    expect(failures[0]).toMatch(/writing 2 impressions failed \(kept, retried\): connect ECONNREFUSED/);
  });

  it("drops a batch the sink refuses", async () => {
    const buffer = new ImpressionBuffer({
      sink: { write: async () => Promise.reject(new ImpressionSinkError("INVALID_ARGUMENT", false)) },
      maxBuffered: 10,
      batchSize: 10,
      flushIntervalMs: 1_000_000,
      logger,
    });
    buffer.record(impression(1));
    await buffer.flush();
    expect(buffer.counters()).toMatchObject({ buffered: 0, failures: 1, dropped: { rejected: 1, bufferFull: 0 } });
  });

  it("writes what is left when closed, then refuses new impressions", async () => {
    const written: string[] = [];
    const buffer = new ImpressionBuffer({
      sink: { write: async (b) => void written.push(...b.map((i) => i.recommendationId)) },
      maxBuffered: 10,
      batchSize: 1,
      flushIntervalMs: 1_000_000,
      logger,
    });
    buffer.start();
    buffer.record(impression(1));
    buffer.record(impression(2));
    await buffer.close();
    buffer.record(impression(3));
    expect(written).toEqual(["id-1", "id-2"]);
    expect(buffer.counters().dropped.bufferFull).toBe(1);
  });
});
