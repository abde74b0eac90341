import { describe, expect, it } from "vitest";
import { retrainReason } from "./retrain-policy.js";

const HOUR = 3_600_000;
const policy = { intervalMs: 6 * HOUR, afterEvents: 10_000 };

describe("retrainReason", () => {
  it("trains at once without a model", () => {
    expect(retrainReason(policy, { nowMs: 0, hasModel: false, lastTrainedAtMs: undefined, eventsSince: undefined })).toBe("no-model");
  });

  it("waits until the schedule is due or enough events arrived, whichever comes first", () => {
    const t0 = Date.UTC(2026, 11, 2);
    const at = (hours: number, eventsSince: number | undefined) => retrainReason(policy, { nowMs: t0 + hours * HOUR, hasModel: true, lastTrainedAtMs: t0, eventsSince });
    expect(at(1, 9_999)).toBeUndefined();
    expect(at(1, 10_000)).toBe("events");
    expect(at(6, 0)).toBe("schedule");
    // Kafka unreachable: the schedule still applies.
    expect(at(5.9, undefined)).toBeUndefined();
    expect(at(6, undefined)).toBe("schedule");
  });

  it("turns a trigger off with 0", () => {
    const t0 = 0;
    expect(retrainReason({ intervalMs: 0, afterEvents: 5 }, { nowMs: 100 * HOUR, hasModel: true, lastTrainedAtMs: t0, eventsSince: 4 })).toBeUndefined();
    expect(retrainReason({ intervalMs: HOUR, afterEvents: 0 }, { nowMs: t0 + 1, hasModel: true, lastTrainedAtMs: t0, eventsSince: 1e9 })).toBeUndefined();
  });
});
