import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearer, rest, signUp } from "../support/mesh.js";

// One account cannot push a product to the top of trending. Before, clicks were deduplicated by
// event id only, so 10,000 clicks of one account (each with its own event id) scored 10,000 and
// that product led trending, which is 20% of everyone's ranking. Now one user's weight on one
// product counts at most TRENDING_USER_CAP (3) weighted events per TRENDING_USER_CAP_WINDOW_SECONDS
// (one hour); the statistics still count every click.

interface StatsJson {
  allTime: Array<{ type: string; count: string }>;
  trendingScore: number;
}

interface TrendingJson {
  items?: Array<{ productId: string; score: number }>;
}

/** RecordEvents' limit of events per call. */
const BATCH_LIMIT = 1_000;
/** The cap's documented default (the test mesh runs with the defaults). */
const DEFAULT_CAP = 3;
/** Two Film-Noir movies of MovieLens that no other suite touches. */
const SPAMMED = "91483"; // Bullet to the Head (2012), Action|Crime|Film-Noir
const FAVOURED = "130482"; // Too Late for Tears (1949), Crime|Drama|Film-Noir|Mystery|Thriller
const CATEGORY = "Film-Noir";

async function stats(productId: string): Promise<{ clicks: number; score: number }> {
  const res = await rest<StatsJson>("GET", `/v1/products/${productId}/stats`);
  expect(res.status).toBe(200);
  const clicks = Number(res.body.allTime.find((e) => e.type === "EVENT_TYPE_CLICK")?.count ?? 0);
  return { clicks, score: res.body.trendingScore };
}

describe("trending against one account", () => {
  it("ranks a product clicked once by 20 accounts above one clicked 10,000 times by one account", async () => {
    const spammer = await signUp(`spammer_${randomUUID().slice(0, 8)}`);

    const before = { spammed: await stats(SPAMMED), favoured: await stats(FAVOURED) };
    const run = randomUUID().slice(0, 8);

    // 10,000 clicks of one account, in batches of the API's limit, with its own token.
    for (let start = 0; start < 10_000; start += BATCH_LIMIT) {
      const events = Array.from({ length: BATCH_LIMIT }, (_, i) => ({
        userId: spammer.userId,
        productId: SPAMMED,
        type: "EVENT_TYPE_CLICK",
        eventId: `spam-${run}-${start + i}`,
      }));
      const res = await rest<{ acceptedCount: number }>("POST", "/v1/events:batch", { events }, bearer(spammer.token));
      expect(res.status).toBe(200);
      expect(res.body.acceptedCount).toBe(BATCH_LIMIT);
    }
    // One click each from 20 MovieLens accounts (posted by a trusted backend with the service token).
    const fans = Array.from({ length: 20 }, (_, i) => ({
      userId: String(301 + i),
      productId: FAVOURED,
      type: "EVENT_TYPE_CLICK",
      eventId: `fan-${run}-${i}`,
    }));
    const fanRes = await rest<{ acceptedCount: number }>("POST", "/v1/events:batch", { events: fans }, bearer());
    expect(fanRes.body.acceptedCount).toBe(20);

    // The consumer has applied every event once the exact click counts show them all.
    const deadline = Date.now() + 60_000;
    let now = { spammed: before.spammed, favoured: before.favoured };
    while (Date.now() < deadline) {
      now = { spammed: await stats(SPAMMED), favoured: await stats(FAVOURED) };
      if (now.spammed.clicks >= before.spammed.clicks + 10_000 && now.favoured.clicks >= before.favoured.clicks + 20) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(now.spammed.clicks).toBe(before.spammed.clicks + 10_000);
    expect(now.favoured.clicks).toBe(before.favoured.clicks + 20);

    // The spammer's 10,000 clicks add at most the cap; the 20 accounts add 20 (a few seconds of decay).
    expect(now.spammed.score - before.spammed.score).toBeLessThanOrEqual(DEFAULT_CAP + 1e-6);
    expect(now.favoured.score - before.favoured.score).toBeGreaterThan(19.9);

    // GetTrending (served from memory for up to 100 ms): the favoured product leads its category
    // and outranks the spammed one overall.
    let category: TrendingJson["items"] = [];
    let overall: TrendingJson["items"] = [];
    const readDeadline = Date.now() + 10_000;
    while (Date.now() < readDeadline) {
      category = (await rest<TrendingJson>("GET", `/v1/trending?category=${CATEGORY}&limit=5`)).body.items ?? [];
      overall = (await rest<TrendingJson>("GET", "/v1/trending?limit=100")).body.items ?? [];
      if (category[0]?.productId === FAVOURED && overall.some((i) => i.productId === FAVOURED)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(category[0]?.productId).toBe(FAVOURED);
    const rank = (id: string) => {
      const i = overall!.findIndex((item) => item.productId === id);
      return i === -1 ? Number.POSITIVE_INFINITY : i;
    };
    expect(rank(FAVOURED)).toBeLessThan(rank(SPAMMED));
  }, 120_000);
});
