import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { deletedUserKey } from "../../services/recommendation/src/storage/user-state/deleted-user-key.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";
import { capHashesOf, redisKeysMentioning, rowsMentioning } from "../support/user-traces.js";

// A deleted user does not come back when Redis loses its state: after DeleteUser, the Redis of a
// private mesh is flushed (FLUSHDB: statistics, coverage markers, per-user state, tombstones), the
// trending consumer replays the retained Kafka log, which still holds the user's events, and the
// per-user state is rebuilt from ScanEvents. The consumer writes the tombstones of the deleted users
// (EngagementService.ListUserDeletions) before it seeks back, so the replayed events of the user
// are skipped: afterwards no Redis key or value holds the user id, while another user's events are
// rebuilt, and GetRecommendations for the deleted user is still NOT_FOUND.

const PREFIX = "recsys:";

/** Polls `check` every 100 ms until it returns true, for at most `ms`. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("fault: Redis loses its state after a user deletion", () => {
  const ports = FAULT_MESH_PORTS.userDeletion;
  const suite = usePrivateMesh({ name: "faults-user-deletion", ports: ports.infra, servicePorts: ports.services });
  let redis: Redis;
  const pools = new Map<string, pg.Pool>();

  const rest = async <T = Record<string, unknown>>(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${suite.mesh.restUrl}${pathAndQuery}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
  };

  beforeAll(() => {
    redis = new Redis(suite.mesh.infra.redisUrl, { maxRetriesPerRequest: 1 });
    for (const [name, db] of Object.entries(suite.mesh.databases)) pools.set(name, new pg.Pool({ connectionString: suite.mesh.infra.pgUrlFor(db), max: 2 }));
  });
  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([...pools.values()].map((p) => p.end()));
  });

  it("replays the log without bringing the deleted user back", async () => {
    const { users, products } = readCatalog(suite.mesh.imported.dir);
    const [mine1, mine2, mine3, shared] = products;
    const control = users[0]!;
    const username = `replay_${randomUUID().slice(0, 8)}`;
    const password = "a long enough password";
    const created = await rest<{ user: { userId: string } }>("POST", "/v1/users", { username, email: `${username}@example.com`, password });
    expect(created.status).toBe(200);
    const userId = created.body.user.userId;
    const session = await rest<{ accessToken: string }>("POST", "/v1/sessions", { username, password });
    const own = { authorization: `Bearer ${session.body.accessToken}` };

    const record = async (who: string, productId: string, type: string, value: number, headers: Record<string, string>): Promise<void> => {
      const res = await rest("POST", "/v1/events", { userId: who, productId, type, value, eventId: `replay-${randomUUID()}` }, headers);
      expect(res.status).toBe(200);
    };
    await record(userId, mine1!, "EVENT_TYPE_LIKE", 0, own);
    await record(userId, mine2!, "EVENT_TYPE_RATE", 4, own);
    await record(userId, mine3!, "EVENT_TYPE_CLICK", 0, own);
    await record(userId, shared!, "EVENT_TYPE_CLICK", 0, own);
    await record(control, shared!, "EVENT_TYPE_CLICK", 0, OWN_MESH_AUTH_HEADERS);
    expect(await eventually(20_000, async () => (await capHashesOf(redis, userId)).length === 4)).toBe(true);

    const deleted = await rest("DELETE", `/v1/users/${userId}`, undefined, own);
    expect(deleted.status).toBe(200);
    expect(await eventually(20_000, async () => (await redisKeysMentioning(redis, userId)).length === 0)).toBe(true);
    expect(await redis.exists(deletedUserKey(PREFIX, userId))).toBe(1);
    // Only the deleted user's click is subtracted from the shared product: the control click stays.
    expect(await redis.hget(`${PREFIX}stats:${shared}`, "click")).toBe("1");

    // State loss: everything in Redis goes, tombstones included.
    await redis.flushdb();
    // The replay rebuilds the control user's click; the per-user state is rebuilt from ScanEvents.
    expect(await eventually(60_000, async () => (await redis.hget(`${PREFIX}stats:${shared}`, "click")) === "1")).toBe(true);
    expect(await eventually(60_000, async () => (await redis.exists(`${PREFIX}user:ready`)) === 1)).toBe(true);
    // The deleted user's events were skipped, not applied and subtracted again: their products have
    // no stats hash at all (a subtraction would leave its fields at 0), and nothing names the user.
    for (const productId of [mine1, mine2, mine3]) expect(await redis.hgetall(`${PREFIX}stats:${productId}`), productId).toEqual({});
    expect(await redisKeysMentioning(redis, userId)).toEqual([]);
    expect(await redis.exists(deletedUserKey(PREFIX, userId))).toBe(1);

    expect((await rest("GET", `/v1/users/${userId}/recommendations?limit=5`, undefined, OWN_MESH_AUTH_HEADERS)).status).toBe(404);
    expect(await eventually(20_000, async () => (await rowsMentioning(pools, userId)).join(",") === "engagement.user_deletions")).toBe(true);
  });
});
