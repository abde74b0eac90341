import { describe, expect, it } from "vitest";
import type { RatedInteraction } from "./interactions.js";
import { leaveOneOutSplit, timeSplit } from "./split.js";

const e = (userId: string, productId: string, t: number, rating = 4): RatedInteraction => ({ userId, productId, timestampMs: t, rating });

describe("leaveOneOutSplit", () => {
  it("holds out each user's latest interaction and trains on the rest", () => {
    const data = [e("1", "10", 100), e("1", "20", 300), e("1", "30", 200), e("2", "10", 50), e("2", "40", 10)];
    const { train, heldOut } = leaveOneOutSplit(data);
    expect(heldOut.map((h) => [h.userId, h.productId])).toEqual([
      ["1", "20"],
      ["2", "10"],
    ]);
    expect(train).toEqual([data[0], data[2], data[4]]);
  });

  it("breaks timestamp ties by the larger product id, whatever the input order", () => {
    const a = [e("1", "9", 100), e("1", "10", 100), e("1", "2", 100), e("1", "1", 50)];
    const b = [...a].reverse();
    expect(leaveOneOutSplit(a).heldOut[0]!.productId).toBe("10"); // numeric order: 10 > 9
    expect(leaveOneOutSplit(b).heldOut[0]!.productId).toBe("10");
    expect(leaveOneOutSplit(a).train.map((x) => x.productId).sort()).toEqual(["1", "2", "9"]);
  });

  it("keeps only the latest of repeated (user, product) pairs, so the held-out item is not in training", () => {
    const data = [e("1", "5", 10), e("1", "7", 20), e("1", "5", 30)];
    const { train, heldOut } = leaveOneOutSplit(data);
    expect(heldOut).toEqual([data[2]]);
    expect(train).toEqual([data[1]]);
  });

  it("does not evaluate a user with a single product", () => {
    const data = [e("1", "5", 10), e("1", "5", 20), e("2", "1", 1), e("2", "2", 2)];
    const { train, heldOut } = leaveOneOutSplit(data);
    expect(heldOut.map((h) => h.userId)).toEqual(["2"]);
    expect(train).toContain(data[1]);
    expect(train).not.toContain(data[0]);
  });

  it("orders held-out interactions by numeric user id", () => {
    const data = [e("10", "1", 1), e("10", "2", 2), e("9", "1", 1), e("9", "2", 2)];
    expect(leaveOneOutSplit(data).heldOut.map((h) => h.userId)).toEqual(["9", "10"]);
  });
});

describe("timeSplit", () => {
  it("cuts every user at the same timestamp quantile: training strictly before it", () => {
    const rows = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => ({ userId: String(t % 3), productId: String(t), timestampMs: t * 1000, rating: 4 }));
    const { train, heldOut, cutMs } = timeSplit(rows, 0.8);
    expect(cutMs).toBe(9000);
    expect(train.map((e) => e.timestampMs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((t) => t * 1000));
    expect(heldOut.map((e) => e.productId)).toEqual(["9", "10"]);
    expect(() => timeSplit([], 0.5)).toThrow(RangeError);
  });
});
