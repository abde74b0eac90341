import { describe, expect, it } from "vitest";
import { bearer, rest } from "../support/mesh.js";

// The operator routes on the test mesh, which serves a trained NeuMF model (2 epochs, validated on
// 50 users): GetServingStatus reports it with its offline HR@10/NDCG@10 and age, no signal
// unavailable, and the engagement and Kafka figures; GetClickThroughRates answers one entry per
// list type. test/attribution/click-through.test.ts checks the counts on a mesh of its own.

interface ServingStatus {
  model?: { version: string; hrAt10?: number; ndcgAt10?: number; validationUsers?: string; ageSeconds?: number; createTime: string };
  unavailableSignals?: string[];
  eventsPerSecond?: number;
  outboxPendingRows?: string;
  outboxOldestRowAgeSeconds?: number;
  consumerLagMessages?: string;
  recentErrors?: unknown[];
  statusTime: string;
}

describe("operator routes over REST", () => {
  it("GET /v1/operator/status: the served model with its offline metrics and age, and the load figures", async () => {
    const res = await rest<ServingStatus>("GET", "/v1/operator/status", undefined, bearer());
    expect(res.status).toBe(200);
    const { model } = res.body;
    expect(model?.version).toMatch(/^\d{8}T\d{6}/);
    expect(model?.hrAt10).toBeGreaterThanOrEqual(0);
    expect(model?.hrAt10).toBeLessThanOrEqual(1);
    expect(model?.ndcgAt10).toBeGreaterThanOrEqual(0);
    expect(model?.validationUsers).toBe("50");
    expect(model?.ageSeconds ?? 0).toBeGreaterThanOrEqual(0);
    expect(Date.parse(model!.createTime)).toBeLessThanOrEqual(Date.parse(res.body.statusTime));
    expect(res.body.unavailableSignals ?? []).toEqual([]);
    expect(res.body.eventsPerSecond).toBeGreaterThanOrEqual(0);
    expect(Number(res.body.outboxPendingRows)).toBeGreaterThanOrEqual(0);
    expect(Number(res.body.consumerLagMessages)).toBeGreaterThanOrEqual(0);
  });

  it("GET /v1/operator/click-through-rates: FOR_YOU, SIMILAR, TRENDING over the last hour", async () => {
    const res = await rest<{ rates: { listType: string }[]; windowStart: string; windowEnd: string }>("GET", "/v1/operator/click-through-rates", undefined, bearer());
    expect(res.status).toBe(200);
    expect(res.body.rates.map((r) => r.listType)).toEqual(["LIST_TYPE_FOR_YOU", "LIST_TYPE_SIMILAR", "LIST_TYPE_TRENDING"]);
    expect(Date.parse(res.body.windowEnd) - Date.parse(res.body.windowStart)).toBe(3_600_000);
    const bad = await rest<{ message: string }>("GET", "/v1/operator/click-through-rates?windowSeconds=90000", undefined, bearer());
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^window_seconds: /);
  });
});
