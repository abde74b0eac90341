import { describe, expect, it } from "vitest";
import { createEpochProgress, epochSummary } from "./epoch-progress.js";

const stats = (epoch: number, hr?: number) => ({
  epoch,
  loss: 0.30124,
  samplesPerSecond: 41_234.4,
  durationMs: 2_468,
  ...(hr === undefined ? {} : { validationHr10: hr, validationNdcg10: 0.35 }),
});

describe("epoch progress of npm run train", () => {
  it("summarises an epoch: loss, samples/s, seconds and, when validated, HR@10 and NDCG@10", () => {
    expect(epochSummary(stats(1))).toBe("loss 0.3012  41234 samples/s  2.5 s");
    expect(epochSummary(stats(1, 0.6123))).toBe("loss 0.3012  41234 samples/s  2.5 s  HR@10 0.612  NDCG@10 0.350");
  });

  it("prints one line per finished epoch where there is no terminal", () => {
    let out = "";
    const stream = { isTTY: false, write: (chunk: string) => ((out += chunk), true) } as unknown as NodeJS.WriteStream;
    const progress = createEpochProgress(12, undefined, stream);
    progress.update(1, 500, 1_000);
    progress.finish(stats(1, 0.5));
    progress.update(2, 1_000, 1_000);
    progress.finish(stats(2));
    progress.stop();
    expect(out).toBe("epoch  1/12  loss 0.3012  41234 samples/s  2.5 s  HR@10 0.500  NDCG@10 0.350\nepoch  2/12  loss 0.3012  41234 samples/s  2.5 s\n");
  });
});
