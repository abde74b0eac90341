import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EngagementEventSchema, EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
import { ImpressionSchema, ListType, type Impression } from "../../../gen/recsys/engagement/v1/impression_pb.js";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { issueAccessToken } from "../../shared/src/access-token.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import type { GrpcServer } from "../../shared/src/grpc-server.js";
import { createLogger } from "../../shared/src/logger.js";
import { GrpcUserDirectory } from "../../shared/src/peers/user-directory.js";
import { newRecommendationId } from "../../shared/src/recommendation-id.js";
import { readEngagementStatus } from "./data/engagement-status-repository.js";
import { EventRepository } from "./data/event-repository.js";
import { ImpressionRepository } from "./data/impression-repository.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { GrpcCatalogLookup } from "./peers/catalog-lookup.js";
import { build } from "./server.js";
import { startFakeDirectoryServers, type FakeDirectoryServers } from "./testing/fake-directory-servers.js";

// Impressions and click attribution on the real PostgreSQL (migration 004): RecordImpressions is
// idempotent by recommendation_id; events carry recommendation_id into the table and the Kafka
// message; GetClickThroughRates counts each (recommendation_id, product_id) click once, only for
// products the list showed, over a window with an inclusive start and an exclusive end; the new
// RPCs are for the service token only. Each server runs on a fixed clock, and the two clocks are
// ten days apart, so each group of cases has windows of its own.

const HOUR = 3_600_000;
/** The clock of the main server: a round second, so window boundaries are exact. */
const NOW = Math.floor(Date.now() / 1000) * 1000;
/** The clock of the window-boundary server, ten days earlier (no overlap with NOW's 24 h). */
const EARLIER = NOW - 10 * 24 * HOUR;

describe("EngagementService impressions and click-through (real PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let directory: FakeDirectoryServers;
  const servers: GrpcServer[] = [];
  let client: Client<typeof EngagementService>;
  let earlier: Client<typeof EngagementService>;
  let address: string;

  async function start(nowMs: number): Promise<{ client: Client<typeof EngagementService>; address: string }> {
    const logger = createLogger("engagement-test");
    logger.level = "silent";
    const server = build({
      logger,
      events: new EventRepository(pool),
      impressions: new ImpressionRepository(pool),
      status: () => readEngagementStatus(pool),
      catalog: new GrpcCatalogLookup(createServiceClient(ProductService, directory.productAddress, { timeoutMs: 2_000 })),
      users: new GrpcUserDirectory(createServiceClient(UserService, directory.userAddress, { timeoutMs: 2_000 })),
      topic: "engagement-events",
      access: new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN }),
      now: () => nowMs,
    });
    servers.push(server);
    const addr = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
    return { address: addr, client: createServiceClient(EngagementService, addr, { timeoutMs: 10_000, interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)] }) };
  }

  beforeAll(async () => {
    db = await createTestDatabase("engagement_attr", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on("error", () => undefined);
    directory = await startFakeDirectoryServers({ "1": ["Comedy"], "2": ["Drama"], "3": ["Horror"], "4": [], "5": [] }, ["a1", "a2", "gone"]);
    ({ client, address } = await start(NOW));
    ({ client: earlier } = await start(EARLIER));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown(500)));
    await directory?.close();
    await pool?.end();
    await db?.drop();
  });

  const impression = (listType: ListType, productIds: string[], shownMs: number, userId = ""): Impression =>
    create(ImpressionSchema, { recommendationId: newRecommendationId(shownMs), listType, userId, productIds, shownTime: timestampFromMs(shownMs) });
  const rowCount = async (sql: string, params: unknown[] = []): Promise<number> => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);
  const rates = async (c: Client<typeof EngagementService>, windowSeconds = 0) => {
    const res = await c.getClickThroughRates({ windowSeconds });
    return Object.fromEntries(
      res.rates.map((r) => [ListType[r.listType], { lists: Number(r.listsShown), items: Number(r.itemsShown), clicks: Number(r.attributedClicks), ctr: r.clickThroughRate }]),
    );
  };

  describe("RecordImpressions", () => {
    it("stores each recommendation_id once: a retried batch and a repeat within a batch change nothing", async () => {
      const a = impression(ListType.FOR_YOU, ["1", "2", "3"], NOW - 10 * 60_000, "a1");
      const b = impression(ListType.TRENDING, ["4"], NOW - 10 * 60_000);
      const first = await client.recordImpressions({ impressions: [a, b, a] });
      expect(first).toMatchObject({ recordedCount: 2, duplicateCount: 1 });
      const retry = await client.recordImpressions({ impressions: [a, b] });
      expect(retry).toMatchObject({ recordedCount: 0, duplicateCount: 2 });
      const { rows } = await pool.query("SELECT list_type, user_id, product_ids, shown_at FROM impressions WHERE recommendation_id = $1", [a.recommendationId]);
      expect(rows).toEqual([{ list_type: 1, user_id: "a1", product_ids: ["1", "2", "3"], shown_at: new Date(NOW - 10 * 60_000) }]);
      await pool.query("DELETE FROM impressions");
    });

    const valid = (): Impression => impression(ListType.SIMILAR, ["1"], NOW);
    const cases: [string, (i: Impression) => void, string][] = [
      ["empty recommendation_id", (i) => (i.recommendationId = ""), "impressions[0].recommendation_id: is required"],
      ["recommendation_id not a UUID", (i) => (i.recommendationId = "not-a-uuid"), "impressions[0].recommendation_id: must be a recommendation_id"],
      ["recommendation_id too long", (i) => (i.recommendationId = "a".repeat(37)), "impressions[0].recommendation_id: must be at most 36 characters, got 37"],
      ["list_type UNSPECIFIED", (i) => (i.listType = ListType.UNSPECIFIED), "impressions[0].list_type: must be one of FOR_YOU, SIMILAR, TRENDING"],
      ["bad user_id", (i) => (i.userId = "a b"), "impressions[0].user_id: may contain only"],
      ["bad product id", (i) => (i.productIds = ["1", "x/y"]), "impressions[0].product_ids[1]: may contain only"],
      ["repeated product", (i) => (i.productIds = ["1", "1"]), "impressions[0].product_ids: must not repeat a product"],
      ["101 products", (i) => (i.productIds = Array.from({ length: 101 }, (_, n) => `p${n}`)), "impressions[0].product_ids: must hold at most 100 products, got 101"],
      ["no shown_time", (i) => (i.shownTime = undefined), "impressions[0].shown_time: is required"],
      ["shown_time an hour ahead", (i) => (i.shownTime = timestampFromMs(NOW + HOUR)), "impressions[0].shown_time: must not be more than 5 minutes in the future"],
    ];
    it.each(cases)("%s → INVALID_ARGUMENT naming the field", async (_name, change, message) => {
      const bad = valid();
      change(bad);
      const err = await failure(client.recordImpressions({ impressions: [bad] }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage.startsWith(message)).toBe(true);
    });
    it("refuses an empty batch and one over 1000, and stored nothing for the refused ones", async () => {
      expect((await failure(client.recordImpressions({ impressions: [] }))).rawMessage).toBe("impressions: must hold 1 to 1000 impressions, got 0");
      const many = Array.from({ length: 1001 }, () => valid());
      expect((await failure(client.recordImpressions({ impressions: many }))).rawMessage).toBe("impressions: must hold 1 to 1000 impressions, got 1001");
      expect(await rowCount("SELECT count(*)::text AS n FROM impressions")).toBe(0);
    });
  });

  describe("recommendation_id on events", () => {
    it("is stored, answered and carried on the Kafka message, in lower case", async () => {
      const rid = newRecommendationId(NOW);
      const res = await client.recordEvent({ userId: "a2", productId: "5", type: EventType.VIEW, recommendationId: rid.toUpperCase() });
      expect(res.event?.recommendationId).toBe(rid);
      expect(await rowCount("SELECT count(*)::text AS n FROM events WHERE recommendation_id = $1", [rid])).toBe(1);
      const { rows } = await pool.query<{ payload: Buffer }>("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1");
      expect(fromBinary(EngagementEventSchema, rows[0]!.payload).event?.recommendationId).toBe(rid);
      const plain = await client.recordEvent({ userId: "a2", productId: "5", type: EventType.VIEW });
      expect(plain.event?.recommendationId).toBe("");
    });
    it.each([
      ["free text", "yesterday's list"],
      ["37 characters", "0".repeat(37)],
    ])("a malformed one (%s) is INVALID_ARGUMENT naming recommendation_id, in RecordEvent and RecordEvents", async (_name, value) => {
      const err = await failure(client.recordEvent({ userId: "a2", productId: "5", type: EventType.CLICK, recommendationId: value }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage.startsWith("recommendation_id: ")).toBe(true);
      const batch = await client.recordEvents({ events: [{ userId: "a2", productId: "5", type: EventType.CLICK, recommendationId: value }] });
      expect(batch.results[0]?.error?.message.startsWith("recommendation_id: ")).toBe(true);
    });
  });

  describe("GetClickThroughRates", () => {
    it("counts each attributed (recommendation_id, product_id) click once, only for products the list showed", async () => {
      const forYou = impression(ListType.FOR_YOU, ["1", "2", "3"], NOW - 20 * 60_000, "a1");
      const forYou2 = impression(ListType.FOR_YOU, ["4", "5"], NOW - 5 * 60_000, "a2");
      const similar = impression(ListType.SIMILAR, ["2", "3", "4", "5"], NOW - 30 * 60_000);
      await client.recordImpressions({ impressions: [forYou, forYou2, similar] });
      const click = (userId: string, productId: string, recommendationId: string, eventId?: string) =>
        ({ userId, productId, type: EventType.CLICK, recommendationId, ...(eventId ? { eventId } : {}) });
      // Product 1 of forYou: one click, replayed with the same event id, clicked again under
      // new ids (RecordEvent and RecordEvents), and by another user: one attributed click.
      await client.recordEvent(click("a1", "1", forYou.recommendationId, "c-1"));
      await client.recordEvent(click("a1", "1", forYou.recommendationId, "c-1"));
      await client.recordEvent(click("a1", "1", forYou.recommendationId));
      await client.recordEvents({ events: [click("a1", "1", forYou.recommendationId, "c-1"), click("a1", "1", forYou.recommendationId, "c-2"), click("a2", "1", forYou.recommendationId)] });
      // Product 3 of forYou, and product 4 of forYou2: one each.
      await client.recordEvent(click("a1", "3", forYou.recommendationId));
      await client.recordEvent(click("a2", "4", forYou2.recommendationId));
      // Not attributed: a product forYou did not show, a VIEW, an unknown list, no list at all.
      await client.recordEvent(click("a1", "5", forYou.recommendationId));
      await client.recordEvent({ userId: "a1", productId: "2", type: EventType.VIEW, recommendationId: forYou.recommendationId });
      await client.recordEvent(click("a1", "2", newRecommendationId(NOW)));
      await client.recordEvent({ userId: "a1", productId: "2", type: EventType.CLICK });
      // Similar: product 2, clicked twice.
      await client.recordEvent(click("a2", "2", similar.recommendationId));
      await client.recordEvent(click("a2", "2", similar.recommendationId));

      expect(await rates(client)).toEqual({
        FOR_YOU: { lists: 2, items: 5, clicks: 3, ctr: 3 / 5 },
        SIMILAR: { lists: 1, items: 4, clicks: 1, ctr: 1 / 4 },
        TRENDING: { lists: 0, items: 0, clicks: 0, ctr: 0 },
      });
      // A click recorded before its impression arrives (impressions are written in the background)
      // is attributed once the impression is stored.
      const late = impression(ListType.TRENDING, ["3"], NOW - 60_000);
      await client.recordEvent(click("a1", "3", late.recommendationId));
      expect((await rates(client)).TRENDING).toEqual({ lists: 0, items: 0, clicks: 0, ctr: 0 });
      await client.recordImpressions({ impressions: [late] });
      expect((await rates(client)).TRENDING).toEqual({ lists: 1, items: 1, clicks: 1, ctr: 1 });
    });

    it("answers the window it used, one hour by default", async () => {
      const res = await client.getClickThroughRates({});
      expect(timestampDate(res.windowEnd!).getTime()).toBe(NOW);
      expect(timestampDate(res.windowStart!).getTime()).toBe(NOW - HOUR);
      expect(res.rates.map((r) => r.listType)).toEqual([ListType.FOR_YOU, ListType.SIMILAR, ListType.TRENDING]);
    });

    it("counts lists shown from the window's start (inclusive) to its end (exclusive)", async () => {
      const atStart = impression(ListType.TRENDING, ["1"], EARLIER - HOUR);
      const beforeStart = impression(ListType.TRENDING, ["1", "2"], EARLIER - HOUR - 1);
      const atEnd = impression(ListType.TRENDING, ["1", "2", "3"], EARLIER);
      const inside = impression(ListType.TRENDING, ["4", "5"], EARLIER - 60_000);
      await earlier.recordImpressions({ impressions: [atStart, beforeStart, atEnd, inside] });
      await earlier.recordEvent({ userId: "a1", productId: "1", type: EventType.CLICK, recommendationId: beforeStart.recommendationId });
      await earlier.recordEvent({ userId: "a1", productId: "1", type: EventType.CLICK, recommendationId: atStart.recommendationId });
      expect((await rates(earlier)).TRENDING).toEqual({ lists: 2, items: 3, clicks: 1, ctr: 1 / 3 });
      // A two-minute window holds only `inside`; 24 hours hold all but `atEnd`.
      expect((await rates(earlier, 120)).TRENDING).toEqual({ lists: 1, items: 2, clicks: 0, ctr: 0 });
      expect((await rates(earlier, 86_400)).TRENDING).toEqual({ lists: 3, items: 5, clicks: 2, ctr: 2 / 5 });
    });

    it.each([-1, 86_401, 1_000_000])("window_seconds %d is INVALID_ARGUMENT naming window_seconds", async (windowSeconds) => {
      const err = await failure(client.getClickThroughRates({ windowSeconds }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(`window_seconds: must be between 1 and 86400 (24 hours), or 0 for 3600, got ${windowSeconds}`);
    });
  });

  describe("GetEngagementStatus", () => {
    it("reports the events of the last minute and the outbox backlog (no relay runs here)", async () => {
      const status = await client.getEngagementStatus({});
      const recent = await rowCount("SELECT count(*)::text AS n FROM events WHERE accepted_at >= now() - interval '60 seconds'");
      expect(recent).toBeGreaterThan(0);
      expect(status.eventsPerSecond).toBeGreaterThan(0);
      expect(status.eventsPerSecond).toBeLessThanOrEqual((await rowCount("SELECT count(*)::text AS n FROM events")) / 60);
      expect(Number(status.outboxPendingRows)).toBe(await rowCount("SELECT count(*)::text AS n FROM outbox"));
      expect(status.outboxOldestRowAgeSeconds).toBeGreaterThanOrEqual(0);
    });
  });

  describe("user deletion", () => {
    it("clears the user's id from their impressions and stores later ones without it", async () => {
      const before = impression(ListType.FOR_YOU, ["1"], NOW - 60_000, "gone");
      await client.recordImpressions({ impressions: [before] });
      await client.deleteUserEvents({ userId: "gone" });
      const after = impression(ListType.FOR_YOU, ["2"], NOW - 1_000, "gone");
      await client.recordImpressions({ impressions: [after] });
      expect(await rowCount("SELECT count(*)::text AS n FROM impressions WHERE recommendation_id IN ($1, $2)", [before.recommendationId, after.recommendationId])).toBe(2);
      expect(await rowCount("SELECT count(*)::text AS n FROM impressions WHERE user_id = 'gone'")).toBe(0);
    });
  });

  describe("retention", () => {
    it("deletes impressions shown before the cutoff, batch by batch, and keeps the rest", async () => {
      const old = Array.from({ length: 3 }, (_, i) => impression(ListType.SIMILAR, ["1"], EARLIER - 30 * 24 * HOUR + i));
      const kept = impression(ListType.SIMILAR, ["1"], EARLIER - 29 * 24 * HOUR);
      await client.recordImpressions({ impressions: [...old, kept] });
      const repo = new ImpressionRepository(pool);
      const cutoff = new Date(EARLIER - 29 * 24 * HOUR);
      expect(await repo.pruneShownBefore(cutoff, 2)).toBe(2);
      expect(await repo.pruneShownBefore(cutoff, 2)).toBe(1);
      expect(await repo.pruneShownBefore(cutoff, 2)).toBe(0);
      const ids = [...old, kept].map((i) => i.recommendationId);
      const { rows } = await pool.query<{ recommendation_id: string }>("SELECT recommendation_id FROM impressions WHERE recommendation_id = ANY($1)", [ids]);
      expect(rows.map((r) => r.recommendation_id)).toEqual([kept.recommendationId]);
    });
  });

  describe("access", () => {
    const calls: [string, (c: Client<typeof EngagementService>) => Promise<unknown>][] = [
      ["RecordImpressions", (c) => c.recordImpressions({ impressions: [impression(ListType.FOR_YOU, ["1"], NOW)] })],
      ["GetClickThroughRates", (c) => c.getClickThroughRates({})],
      ["GetEngagementStatus", (c) => c.getEngagementStatus({})],
    ];
    it.each(calls)("%s: UNAUTHENTICATED without a token, PERMISSION_DENIED for a user's token", async (_name, call) => {
      const anonymous = createServiceClient(EngagementService, address, { timeoutMs: 5_000 });
      expect((await failure(call(anonymous))).code).toBe(Code.Unauthenticated);
      const { token } = await issueAccessToken("a1", TEST_JWT_SECRET, 600);
      const asUser = createServiceClient(EngagementService, address, {
        timeoutMs: 5_000,
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
      });
      const denied = await failure(call(asUser));
      expect(denied.code).toBe(Code.PermissionDenied);
      expect(denied.rawMessage).toBe("this RPC is for internal callers (service token)");
    });
  });
});
