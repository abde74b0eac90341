import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, rest, signUp, type TestAccount } from "../support/mesh.js";
import { capHashesOf, redisKeysMentioning, rowsMentioning } from "../support/user-traces.js";

// DeleteUser end to end through Envoy on the shared test mesh: a user records events, they reach
// the per-user state and the trending cap hashes through Kafka, the user deletes itself with its own
// token, and then nothing of it remains in any PostgreSQL database of the mesh (but the deletion
// record of the engagement database) nor in any Redis key or value; its token is refused and
// GetUser/GetRecommendations answer NOT_FOUND. ListUsers pages with the service token only.

const PREFIX = "recsys:";
const DATABASES = ["PRODUCT", "USER", "ENGAGEMENT", "RECOMMENDATION"] as const;
let redis: Redis;
const pools = new Map<string, pg.Pool>();

beforeAll(() => {
  const url = process.env.RECSYS_TEST_REDIS_URL;
  if (!url) throw new Error("RECSYS_TEST_REDIS_URL is not set: this suite needs the mesh that `npm test` starts");
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
  for (const name of DATABASES) {
    const dbUrl = process.env[`RECSYS_TEST_${name}_DATABASE_URL`];
    if (!dbUrl) throw new Error(`RECSYS_TEST_${name}_DATABASE_URL is not set: this suite needs the mesh that \`npm test\` starts`);
    pools.set(name, new pg.Pool({ connectionString: dbUrl, max: 2 }));
  }
});

afterAll(async () => {
  await redis.quit();
  await Promise.all([...pools.values()].map((p) => p.end()));
});

/** Polls `check` every 100 ms until it returns true, for at most `ms`. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("DeleteUser", () => {
  let account: TestAccount;
  let other: TestAccount;

  beforeAll(async () => {
    account = await signUp(`gone_${randomUUID().slice(0, 8)}`);
    other = await signUp(`stays_${randomUUID().slice(0, 8)}`);
  });

  it("records the user's events into the per-user state and the trending cap hashes", async () => {
    for (const [productId, type, value] of [["1", "EVENT_TYPE_CLICK", 0], ["2", "EVENT_TYPE_LIKE", 0], ["3", "EVENT_TYPE_RATE", 4.5]] as const) {
      const res = await rest("POST", "/v1/events", { userId: account.userId, productId, type, value, eventId: `del-${randomUUID()}` }, bearer(account.token));
      expect(res.status).toBe(200);
    }
    const seenKey = `${PREFIX}user:${account.userId.length}:${account.userId}:seen`;
    // Seen kinds are rate, like and dislike (RECOMMEND_SEEN_EVENT_TYPES): the click is not seen.
    expect(await eventually(15_000, async () => (await redis.zcard(seenKey)) === 2)).toBe(true);
    expect(await eventually(15_000, async () => (await capHashesOf(redis, account.userId)).length === 3)).toBe(true);
    expect((await rowsMentioning(pools, account.userId)).filter((r) => r === "engagement.events")).toHaveLength(3);
  });

  it("is PERMISSION_DENIED (403) with another user's token and changes nothing", async () => {
    const res = await rest<{ message: string }>("DELETE", `/v1/users/${account.userId}`, undefined, bearer(other.token));
    expect(res.status).toBe(403);
    expect((await rest("GET", `/v1/users/${account.userId}`, undefined, bearer())).status).toBe(200);
  });

  it("deletes the account with its own token, and leaves nothing of the user anywhere but the deletion record", async () => {
    const res = await rest<{ deletedEventCount: string }>("DELETE", `/v1/users/${account.userId}`, undefined, bearer(account.token));
    expect(res.status).toBe(200);
    expect(res.body.deletedEventCount).toBe("3");

    // The token died with the account; the account is gone; new events are refused.
    expect((await rest("GET", `/v1/users/${account.userId}`, undefined, bearer(account.token))).status).toBe(401);
    expect((await rest("GET", `/v1/users/${account.userId}`, undefined, bearer())).status).toBe(404);
    expect((await rest("DELETE", `/v1/users/${account.userId}`, undefined, bearer())).status).toBe(404);
    const late = await rest("POST", "/v1/events", { userId: account.userId, productId: "4", type: "EVENT_TYPE_CLICK", eventId: `del-${randomUUID()}` }, bearer());
    expect(late.status).toBe(404);
    const signIn = await rest("POST", "/v1/sessions", { username: account.username, password: "a long enough password" });
    expect(signIn.status).toBe(401);

    // Recommendations: NOT_FOUND once the consumer applied the deletion (its tombstone).
    expect(await eventually(15_000, async () => (await rest("GET", `/v1/users/${account.userId}/recommendations?limit=5`, undefined, bearer())).status === 404)).toBe(true);

    // PostgreSQL: only the deletion record (the outbox row of the deletion message goes once Kafka has it).
    expect(await eventually(15_000, async () => (await rowsMentioning(pools, account.userId)).join(",") === "engagement.user_deletions")).toBe(true);
    const record = await pools.get("ENGAGEMENT")!.query<{ deleted_events: string }>("SELECT deleted_events::text FROM user_deletions WHERE user_id = $1", [account.userId]);
    expect(record.rows).toEqual([{ deleted_events: "3" }]);

    // Redis: no key and no value holds the id (per-user state, cap fields, dedup entries).
    expect(await eventually(15_000, async () => (await redisKeysMentioning(redis, account.userId)).length === 0)).toBe(true);
    expect(await redisKeysMentioning(redis, account.username)).toEqual([]);
    // The other user is untouched.
    expect((await rest("GET", `/v1/users/${other.userId}`, undefined, bearer(other.token))).status).toBe(200);
  });
});

describe("ListUsers", () => {
  it("pages through the accounts in user_id order with the service token", async () => {
    const first = await rest<{ users: { userId: string }[]; nextPageToken: string }>("GET", "/v1/users?pageSize=2", undefined, bearer());
    expect(first.status).toBe(200);
    expect(first.body.users).toHaveLength(2);
    expect(first.body.nextPageToken).not.toBe("");
    const second = await rest<{ users: { userId: string }[]; nextPageToken: string }>(
      "GET",
      `/v1/users?pageSize=2&pageToken=${encodeURIComponent(first.body.nextPageToken)}`,
      undefined,
      bearer(),
    );
    expect(second.status).toBe(200);
    const ids = [...first.body.users, ...second.body.users].map((u) => u.userId);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort()).toEqual(ids);
    const bad = await rest<{ message: string }>("GET", "/v1/users?pageSize=101", undefined, bearer());
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("page_size");
  });

  it("is PERMISSION_DENIED (403) for a user's token and UNAUTHENTICATED (401) without one", async () => {
    const user = await signUp(`lister_${randomUUID().slice(0, 8)}`);
    expect((await rest("GET", "/v1/users", undefined, bearer(user.token))).status).toBe(403);
    expect((await rest("GET", "/v1/users")).status).toBe(401);
  });
});
