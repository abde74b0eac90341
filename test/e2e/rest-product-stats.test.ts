import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearer, rest } from "../support/mesh.js";

// GET /v1/products/{productId}/stats end to end: events posted through Envoy travel through the
// engagement database, the outbox, Kafka and the trending consumer into Redis, where the counts
// are exact (each eventId once).

interface StatsJson {
  productId: string;
  allTime: Array<{ type: string; count: string }>;
  window: Array<{ type: string; count: string }>;
  windowSeconds: string;
  trendingScore: number;
}

const counts = (entries: StatsJson["allTime"]) => Object.fromEntries(entries.map((e) => [e.type, Number(e.count)]));

describe("product statistics over REST", () => {
  it("counts every accepted event of each type exactly once, all time and over the window", async () => {
    // An obscure MovieLens movie nothing else in the run touches.
    const productId = "176601";
    const before = await rest<StatsJson>("GET", `/v1/products/${productId}/stats`);
    expect(before.status).toBe(200);
    expect(before.body.windowSeconds).toBe("3600");
    const base = counts(before.body.allTime);
    const baseWindow = counts(before.body.window);

    // Trending weight 3 + 1 + 2 + 1 = 7, below the 30 clicks rest-recommendations.test.ts puts on top.
    const events = [
      ...Array.from({ length: 3 }, () => ({ type: "EVENT_TYPE_CLICK" })),
      { type: "EVENT_TYPE_VIEW" },
      { type: "EVENT_TYPE_LIKE" },
      { type: "EVENT_TYPE_RATE", value: 4 },
    ].map((e, i) => ({ ...e, userId: String(1 + i), productId, eventId: `stats-${randomUUID()}` }));
    const batch = await rest<{ acceptedCount: number }>("POST", "/v1/events:batch", { events }, bearer());
    expect(batch.body.acceptedCount).toBe(events.length);
    // Duplicates and a rejected event change nothing.
    await rest("POST", "/v1/events", events[0], bearer());
    await rest("POST", "/v1/events", { ...events[0], eventId: `stats-${randomUUID()}`, value: 3 }, bearer());

    const expected = { ...base };
    const expectedWindow = { ...baseWindow };
    for (const [type, n] of [["EVENT_TYPE_CLICK", 3], ["EVENT_TYPE_VIEW", 1], ["EVENT_TYPE_LIKE", 1], ["EVENT_TYPE_RATE", 1]] as const) {
      expected[type] = (expected[type] ?? 0) + n;
      expectedWindow[type] = (expectedWindow[type] ?? 0) + n;
    }
    let stats: StatsJson | undefined;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      stats = (await rest<StatsJson>("GET", `/v1/products/${productId}/stats`)).body;
      if (counts(stats.allTime).EVENT_TYPE_CLICK === expected.EVENT_TYPE_CLICK && counts(stats.allTime).EVENT_TYPE_RATE === expected.EVENT_TYPE_RATE) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(counts(stats!.allTime)).toEqual(expected);
    expect(counts(stats!.window)).toEqual(expectedWindow);
    expect(stats!.trendingScore).toBeGreaterThan(before.body.trendingScore + 6.9);
  });

  it("answers 404 for an unknown product and 400 for a malformed id", async () => {
    const missing = await rest<{ code: number; message: string }>("GET", "/v1/products/99999999/stats");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(5);
    const bad = await rest<{ code: number; message: string }>("GET", `/v1/products/${encodeURIComponent("a b")}/stats`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^product_id: /);
  });
});
