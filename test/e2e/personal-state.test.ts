import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ratedMovieIds, rest, testMesh } from "../support/mesh.js";

// The per-user state of the recommendation read path end to end: the trending consumer builds it
// from EngagementService.ScanEvents (the imported MovieLens ratings never went through Kafka) and
// keeps it from the Kafka stream; GetRecommendations reads it from Redis instead of asking
// EngagementService for the user's history on every call.

interface RecommendationsJson {
  items: { productId: string; reason: string }[];
  strategy: string;
}

const PREFIX = "recsys:";
let redis: Redis;

beforeAll(() => {
  const url = process.env.RECSYS_TEST_REDIS_URL;
  if (!url) throw new Error("RECSYS_TEST_REDIS_URL is not set: this suite needs the mesh that `npm test` starts");
  redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await redis.quit();
});

/** Polls `check` every 50 ms until it returns true, for at most `ms`. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const recommendations = async (userId: string): Promise<RecommendationsJson> => {
  const res = await rest<RecommendationsJson>("GET", `/v1/users/${userId}/recommendations?limit=10`, undefined, bearer());
  expect(res.status).toBe(200);
  return res.body;
};

/** Whether the user's recommendations now have `strategy` and lack `productId`, within 5 s. */
const eventuallyLacks = (userId: string, productId: string, strategy: string): Promise<boolean> =>
  eventually(5_000, async () => {
    const now = await recommendations(userId);
    return now.strategy === strategy && !now.items.some((i) => i.productId === productId);
  });

const record = async (userId: string, productId: string, type: string, value = 0): Promise<void> => {
  const res = await rest("POST", "/v1/events", { userId, productId, type, value, eventId: `personal-${randomUUID()}` }, bearer());
  expect(res.status).toBe(200);
};

describe("per-user state", () => {
  it("is built from the engagement database: MovieLens user 1's 232 ratings are its seen set", async () => {
    expect(await eventually(60_000, async () => (await redis.exists(`${PREFIX}user:ready`)) === 1)).toBe(true);
    const seen = await redis.zrange(`${PREFIX}user:1:1:seen`, 0, -1);
    const rated = await ratedMovieIds(testMesh().movieLensDir, "1");
    expect(new Set(seen)).toEqual(rated);
    // Positives: rated ≥ 3.5 stars, at most USER_STATE_MAX_POSITIVES (200) of them.
    expect(await redis.zcard(`${PREFIX}user:1:1:pos`)).toBeGreaterThan(100);
  });

  it("removes a product the user rates from the user's next recommendations, through Kafka, within a second or so", async () => {
    const userId = "7";
    const before = await recommendations(userId);
    expect(before.strategy).toBe("personalized");
    const target = before.items[0]!.productId;
    await record(userId, target, "EVENT_TYPE_RATE", 2);
    expect(await eventually(5_000, async () => !(await recommendations(userId)).items.some((i) => i.productId === target))).toBe(true);
    expect(await redis.zscore(`${PREFIX}user:1:7:seen`, target)).not.toBeNull();
    // A 2-star rating is no positive.
    expect(await redis.zscore(`${PREFIX}user:1:7:pos`, target)).toBeNull();
  });

  it("turns a new user's first like into personalised recommendations without that product", async () => {
    const username = `fresh_${randomUUID().slice(0, 8)}`;
    const created = await rest<{ user: { userId: string } }>("POST", "/v1/users", {
      username,
      email: `${username}@example.com`,
      password: "a long password",
    });
    expect(created.status).toBe(200);
    const userId = created.body.user.userId;
    const cold = await recommendations(userId);
    expect(cold.strategy).toBe("cold_start");
    const liked = cold.items[0]!.productId;
    await record(userId, liked, "EVENT_TYPE_LIKE");
    expect(await eventuallyLacks(userId, liked, "personalized")).toBe(true);
    const key = `${PREFIX}user:${userId.length}:${userId}:pos`;
    expect(await redis.zrange(key, 0, -1)).toEqual([liked]);
    // A later dislike cancels the like: back to the cold start, the product still excluded.
    await record(userId, liked, "EVENT_TYPE_DISLIKE");
    expect(await eventuallyLacks(userId, liked, "cold_start")).toBe(true);
    expect(await redis.zcard(key)).toBe(0);
  });
});
