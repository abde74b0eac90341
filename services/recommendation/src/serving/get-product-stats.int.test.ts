import { randomBytes } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { testInfra } from "../../../../test/support/infra.js";
import { AccessControl } from "../../../shared/src/access-control.js";
import { createServiceClient } from "../../../shared/src/clients.js";
import type { GrpcServer } from "../../../shared/src/grpc-server.js";
import { issueAccessToken } from "../../../shared/src/access-token.js";
import { build } from "./server.js";
import { defaultSettings, MapHistorySource, servingStateFor, product, SetProductDirectory, SetUserDirectory, silentLogger } from "./testing/fakes.js";
import { RedisTrendingStore } from "../storage/trending/redis-trending-store.js";
import { failure } from "../../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../../test/support/secrets.js";

const CATALOG = [product("1", "Toy Story (1995)", ["Animation", "Comedy"]), product("2", "Heat (1995)", ["Action"])];

describe("GetProductStats over gRPC on the real Redis trending store", () => {
  let redis: Redis;
  let store: RedisTrendingStore;
  let products: SetProductDirectory;
  const prefix = `test:getstats:${randomBytes(4).toString("hex")}:`;
  const servers: GrpcServer[] = [];

  async function start(trending: RedisTrendingStore, requireAuthForReads = false): Promise<Client<typeof RecommendationService>> {
    const server = build({
      state: servingStateFor(CATALOG),
      users: new SetUserDirectory(new Set(["u1", "u2"])),
      history: new MapHistorySource(),
      trending,
      products,
      settings: defaultSettings(),
      logger: silentLogger(),
      access: new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, requireAuthForReads }),
    });
    servers.push(server);
    return createServiceClient(RecommendationService, `127.0.0.1:${await server.listen("127.0.0.1", 0)}`);
  }

  beforeAll(() => {
    redis = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
    store = new RedisTrendingStore(redis, { prefix, tauSeconds: 3_600 });
    products = new SetProductDirectory(new Set(["1", "2", "new-product"]));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown(500)));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("answers the exact counts per type (all time and window), the window and the trending score", async () => {
    const client = await start(store);
    const now = Date.now();
    const types = [EventType.CLICK, EventType.CLICK, EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.RATE, EventType.DISLIKE];
    await store.applyBatch(types.map((type, i) => ({ eventId: `gps-${i}`, userId: `u${i}`, productId: "1", type, occurredAtMs: now, categories: [] })));
    // Older than the window: counted all time only.
    await store.apply({ eventId: "gps-old", userId: "u-old", productId: "1", type: EventType.CLICK, occurredAtMs: now - 2 * 3_600_000, categories: [] });
    await store.apply({ eventId: "gps-0", userId: "u0", productId: "1", type: EventType.CLICK, occurredAtMs: now, categories: [] }); // redelivery

    const res = await client.getProductStats({ productId: "1" });
    expect(res.productId).toBe("1");
    expect(res.windowSeconds).toBe(3600n);
    const asObject = (entries: typeof res.allTime) => Object.fromEntries(entries.map((e) => [EventType[e.type], Number(e.count)]));
    expect(res.allTime.map((e) => e.type)).toEqual([EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.DISLIKE, EventType.RATE]);
    expect(asObject(res.allTime)).toEqual({ CLICK: 4, VIEW: 1, LIKE: 1, DISLIKE: 1, RATE: 1 });
    expect(asObject(res.window)).toEqual({ CLICK: 3, VIEW: 1, LIKE: 1, DISLIKE: 1, RATE: 1 });
    // CLICK 3 + VIEW 1 + LIKE 2 + RATE 1 (+ DISLIKE 0) just now, plus one click two τ ago.
    expect(res.trendingScore).toBeCloseTo(7 + Math.exp(-2), 2);
  });

  it("answers zeros for a catalog product without events, and asks the live catalog about newer products", async () => {
    const client = await start(store);
    const quiet = await client.getProductStats({ productId: "2" });
    expect(quiet.allTime.every((e) => e.count === 0n)).toBe(true);
    expect(quiet.trendingScore).toBe(0);
    expect((await client.getProductStats({ productId: "new-product" })).productId).toBe("new-product");
  });

  it("answers NOT_FOUND for an unknown product and INVALID_ARGUMENT for a malformed id", async () => {
    const client = await start(store);
    const missing = await failure(client.getProductStats({ productId: "99999999" }));
    expect(missing.code).toBe(Code.NotFound);
    expect(missing.rawMessage).toBe('product "99999999" not found');
    for (const productId of ["", "../etc/passwd", "x".repeat(129), "1; DROP TABLE"]) {
      const bad = await failure(client.getProductStats({ productId }));
      expect(bad.code, productId).toBe(Code.InvalidArgument);
      expect(bad.rawMessage.startsWith("product_id: ")).toBe(true);
    }
  });

  it("answers UNAVAILABLE when Redis or the product service is down", async () => {
    const dead = new Redis("redis://127.0.0.1:1", { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on("error", () => undefined);
    const client = await start(new RedisTrendingStore(dead, { prefix }));
    const err = await failure(client.getProductStats({ productId: "1" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("trending store is unavailable, retry later");
    dead.disconnect();

    products.down = true;
    try {
      const live = await start(store);
      expect((await failure(live.getProductStats({ productId: "not-in-memory" }))).code).toBe(Code.Unavailable);
      // Products of the in-memory catalog need no call.
      expect((await live.getProductStats({ productId: "1" })).productId).toBe("1");
    } finally {
      products.down = false;
    }
  });

  it("keeps GetRecommendations open by default and behind the user's token with AUTH_REQUIRED_FOR_READS", async () => {
    expect((await (await start(store)).getRecommendations({ userId: "u1" })).items.length).toBeGreaterThan(0);
    const strict = await start(store, true);
    expect((await failure(strict.getRecommendations({ userId: "u1" }))).code).toBe(Code.Unauthenticated);
    const u1 = await issueAccessToken("u1", TEST_JWT_SECRET, 600);
    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    expect((await strict.getRecommendations({ userId: "u1" }, auth(u1.token))).items.length).toBeGreaterThan(0);
    expect((await failure(strict.getRecommendations({ userId: "u2" }, auth(u1.token)))).code).toBe(Code.PermissionDenied);
    expect((await strict.getRecommendations({ userId: "u2" }, auth(TEST_SERVICE_TOKEN))).items.length).toBeGreaterThan(0);
    // Trending and statistics stay open.
    expect((await strict.getProductStats({ productId: "1" })).productId).toBe("1");
  });
});
