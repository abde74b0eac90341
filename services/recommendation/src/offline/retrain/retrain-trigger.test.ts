import { describe, expect, it } from "vitest";
import { type RetrainPolicy, retrainReason, type RetrainState } from "./retrain-trigger.js";

const HOUR = 3_600_000;
const policy: RetrainPolicy = { intervalMs: 6 * HOUR, afterEvents: 1_000, retryMs: 60_000 };
const t0 = Date.parse("2026-12-03T00:00:00Z");
const trained: RetrainState = { hasModel: true, lastTrainingAt: t0, eventsSince: 0, lastFailureAt: undefined };

describe("retrainReason", () => {
  it("trains at once when there is no model", () => {
    expect(retrainReason(policy, { hasModel: false, lastTrainingAt: undefined, eventsSince: 0, lastFailureAt: undefined }, t0)).toBe("no-model");
    // Even with both triggers off: the first model is always trained.
    expect(retrainReason({ intervalMs: 0, afterEvents: 0, retryMs: 0 }, { ...trained, hasModel: false }, t0)).toBe("no-model");
  });

  it("trains on schedule once intervalMs passed since the last training started", () => {
    expect(retrainReason(policy, trained, t0 + 6 * HOUR - 1)).toBeUndefined();
    expect(retrainReason(policy, trained, t0 + 6 * HOUR)).toBe("schedule");
    expect(retrainReason({ ...policy, intervalMs: 0 }, trained, t0 + 1_000 * HOUR)).toBeUndefined();
  });

  it("trains once afterEvents events were counted, before the schedule is due", () => {
    expect(retrainReason(policy, { ...trained, eventsSince: 999 }, t0 + HOUR)).toBeUndefined();
    expect(retrainReason(policy, { ...trained, eventsSince: 1_000 }, t0 + HOUR)).toBe("events");
    expect(retrainReason(policy, { ...trained, eventsSince: 5_000 }, t0 + 7 * HOUR)).toBe("events");
    expect(retrainReason({ ...policy, afterEvents: 0 }, { ...trained, eventsSince: 1e9 }, t0 + HOUR)).toBeUndefined();
  });

  it("waits retryMs after a failure, whatever is due", () => {
    const failed: RetrainState = { hasModel: false, lastTrainingAt: undefined, eventsSince: 0, lastFailureAt: t0 };
    expect(retrainReason(policy, failed, t0 + 59_999)).toBeUndefined();
    expect(retrainReason(policy, failed, t0 + 60_000)).toBe("no-model");
    expect(retrainReason(policy, { ...trained, eventsSince: 2_000, lastFailureAt: t0 + HOUR }, t0 + HOUR + 1)).toBeUndefined();
  });
});
