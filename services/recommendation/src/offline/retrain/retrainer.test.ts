import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Retrainer, type RetrainerOptions, type RetrainResult } from "./retrainer.js";

const HOUR = 3_600_000;
const t0 = Date.parse("2026-12-03T00:00:00Z");

/** A retrainer whose clock and event count the test moves, and whose trainings it settles by hand. */
function harness(extra: Partial<RetrainerOptions> = {}) {
  let now = t0;
  const events = { total: 0 };
  const lines: { msg: string; reason?: string }[] = [];
  const trainings: { signal: AbortSignal; resolve: (r: RetrainResult) => void; reject: (e: Error) => void }[] = [];
  const retrainer = new Retrainer({
    policy: { intervalMs: 6 * HOUR, afterEvents: 100, retryMs: 60_000 },
    checkIntervalMs: 3_600_000,
    clock: () => now,
    events,
    logger: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    train: (signal) =>
      new Promise<RetrainResult>((resolve, reject) => {
        trainings.push({ signal, resolve, reject });
        signal.addEventListener("abort", () => reject(signal.reason as Error));
      }),
    ...extra,
  });
  return {
    retrainer,
    events,
    lines,
    trainings,
    advance: (ms: number) => void (now += ms),
    time: () => now,
    /** Settles the newest training; resolves once the retrainer has taken the outcome. */
    async finish(check: Promise<unknown>, outcome: RetrainResult | Error, ms = 1_000): Promise<void> {
      await new Promise((r) => setImmediate(r));
      now += ms;
      const last = trainings[trainings.length - 1]!;
      if (outcome instanceof Error) last.reject(outcome);
      else last.resolve(outcome);
      await check;
    },
  };
}

describe("Retrainer", () => {
  it("trains the first model at once, then on the event count, then on schedule", async () => {
    const h = harness();
    const first = h.retrainer.check();
    expect(h.retrainer.status.training).toBe(true);
    await h.finish(first, { version: "v1" }, 40_000);
    expect(await first).toBe("no-model");
    expect(h.retrainer.status).toMatchObject({ version: "v1", lastTrainingAt: t0, lastDurationMs: 40_000, succeeded: 1, training: false });

    h.events.total = 99;
    expect(await h.retrainer.check()).toBeUndefined();
    h.events.total = 100;
    h.advance(HOUR);
    const byEvents = h.retrainer.check();
    // Events accepted while it trains count towards the next training.
    h.events.total = 130;
    await h.finish(byEvents, { version: "v2" });
    expect(await byEvents).toBe("events");
    expect(h.retrainer.status.eventsSince).toBe(30);

    // The schedule counts from the start of the last training (its data's time).
    h.advance(h.retrainer.status.lastTrainingAt! + 6 * HOUR - 1 - h.time());
    expect(await h.retrainer.check()).toBeUndefined();
    h.advance(1);
    const bySchedule = h.retrainer.check();
    await h.finish(bySchedule, { version: "v3" });
    expect(await bySchedule).toBe("schedule");
    expect(h.retrainer.status).toMatchObject({ version: "v3", succeeded: 3, failed: 0 });
    expect(h.lines.filter((l) => l.msg.startsWith("NeuMF training started")).map((l) => l.reason)).toEqual(["no-model", "events", "schedule"]);
  });

  it("starts from the model found at start: no training until a trigger is due", async () => {
    const h = harness({ initialModel: { version: "v0", trainedAt: t0 - 5 * HOUR } });
    expect(await h.retrainer.check()).toBeUndefined();
    h.advance(HOUR);
    const due = h.retrainer.check();
    await h.finish(due, { version: "v1" });
    expect(await due).toBe("schedule");
  });

  it("runs one training at a time: a check during a training does nothing", async () => {
    const h = harness();
    const first = h.retrainer.check();
    h.advance(10 * HOUR);
    h.events.total = 1_000;
    expect(await h.retrainer.check()).toBeUndefined();
    expect(h.trainings).toHaveLength(1);
    await h.finish(first, { version: "v1" });
  });

  it("logs a failure, keeps running and retries after retryMs", async () => {
    const h = harness();
    const failing = h.retrainer.check();
    await h.finish(failing, new Error("EngagementService unavailable"));
    expect(h.retrainer.status).toMatchObject({ version: undefined, failed: 1, succeeded: 0, training: false });
    expect(h.lines.some((l) => l.msg === "NeuMF training failed; retrying later")).toBe(true);
    h.advance(59_000);
    expect(await h.retrainer.check()).toBeUndefined();
    h.advance(1_000);
    const retry = h.retrainer.check();
    await h.finish(retry, { version: "v1" });
    expect(await retry).toBe("no-model");
    expect(h.retrainer.status).toMatchObject({ version: "v1", failed: 1, succeeded: 1 });
  });

  it("abandons a training in progress on stop, counting it neither as a success nor as a failure", async () => {
    const h = harness();
    const running = h.retrainer.check();
    await new Promise((r) => setImmediate(r));
    await h.retrainer.stop();
    expect(h.trainings[0]!.signal.aborted).toBe(true);
    await running;
    expect(h.retrainer.status).toMatchObject({ version: undefined, failed: 0, succeeded: 0, training: false });
    expect(h.lines.some((l) => l.msg.startsWith("NeuMF training abandoned"))).toBe(true);
    expect(await h.retrainer.check()).toBeUndefined();
  });
});
