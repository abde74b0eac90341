import { fromBinary } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService, type RecordEventRequest } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EngagementEventSchema, EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import type { GrpcServer } from "../../shared/src/grpc-server.js";
import { createLogger } from "../../shared/src/logger.js";
import { issueAccessToken } from "../../shared/src/access-token.js";
import { ImpressionRepository } from "./data/impression-repository.js";
import { readEngagementStatus } from "./data/engagement-status-repository.js";
import { EventRepository } from "./data/event-repository.js";
import { GrpcCatalogLookup } from "./peers/catalog-lookup.js";
import { GrpcUserDirectory } from "../../shared/src/peers/user-directory.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";
import { startFakeDirectoryServers, type FakeDirectoryServers } from "./testing/fake-directory-servers.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";

const TOPIC = "engagement-events";
/** A closed port: connections are refused at once. */
const NOWHERE = "127.0.0.1:1";

type EventInit = Partial<Pick<RecordEventRequest, "userId" | "productId" | "type" | "value" | "eventId">>;

function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } };
}

describe("EngagementService RecordEvents and access control (real PostgreSQL, in-process product/user servers)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let directory: FakeDirectoryServers;
  const servers: GrpcServer[] = [];
  /** Address of the default server (reads open). */
  let address: string;
  /** A client sending the service token. */
  let service: Client<typeof EngagementService>;
  /** A client sending no credentials. */
  let anonymous: Client<typeof EngagementService>;

  async function startEngagement(productAddress: string, userAddress: string, requireAuthForReads = false): Promise<string> {
    const logger = createLogger("engagement-batch-test");
    logger.level = "silent";
    const server = build({
      logger,
      events: new EventRepository(pool),
      impressions: new ImpressionRepository(pool),
      status: () => readEngagementStatus(pool),
      catalog: new GrpcCatalogLookup(createServiceClient(ProductService, productAddress, { timeoutMs: 2_000 })),
      users: new GrpcUserDirectory(createServiceClient(UserService, userAddress, { timeoutMs: 2_000 })),
      topic: TOPIC,
      access: new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, requireAuthForReads }),
    });
    servers.push(server);
    return `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  }

  const serviceClient = (addr: string) =>
    createServiceClient(EngagementService, addr, { timeoutMs: 20_000, interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)] });

  async function counts(): Promise<{ events: number; outbox: number }> {
    const res = await pool.query<{ e: string; o: string }>(
      "SELECT (SELECT count(*) FROM events)::text AS e, (SELECT count(*) FROM outbox)::text AS o",
    );
    return { events: Number(res.rows[0]?.e), outbox: Number(res.rows[0]?.o) };
  }

  const click = (init: EventInit = {}): EventInit => ({ userId: "u1", productId: "1", type: EventType.CLICK, ...init });

  beforeAll(async () => {
    db = await createTestDatabase("engagement_batch", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    pool.on("error", () => undefined);
    directory = await startFakeDirectoryServers(
      { "1": ["Adventure", "Comedy"], "2": ["Drama"], "3": [], "4": ["Horror"] },
      ["u1", "u2", "u3", "bulk-a", "bulk-b", "own"],
    );
    address = await startEngagement(directory.productAddress, directory.userAddress);
    service = serviceClient(address);
    anonymous = createServiceClient(EngagementService, address, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown(500)));
    await directory?.close();
    await pool?.end();
    await db?.drop();
  });

  describe("access control of writes", () => {
    it("RecordEvent: no token or a bad one is UNAUTHENTICATED, another user's token PERMISSION_DENIED; nothing is written", async () => {
      const before = await counts();
      const missing = await failure(anonymous.recordEvent(click()));
      expect(missing.code).toBe(Code.Unauthenticated);
      const bad = await failure(anonymous.recordEvent(click(), bearer("not-a-token")));
      expect(bad.code).toBe(Code.Unauthenticated);
      expect(bad.rawMessage).toBe("invalid access token");
      const foreign = await issueAccessToken("u1", `${TEST_JWT_SECRET}-elsewhere`, 600);
      expect((await failure(anonymous.recordEvent(click(), bearer(foreign.token)))).code).toBe(Code.Unauthenticated);
      const expired = await issueAccessToken("u1", TEST_JWT_SECRET, 60, new Date(Date.now() - 120_000));
      expect((await failure(anonymous.recordEvent(click(), bearer(expired.token)))).rawMessage).toBe("access token expired");
      const u2 = await issueAccessToken("u2", TEST_JWT_SECRET, 600);
      const other = await failure(anonymous.recordEvent(click(), bearer(u2.token)));
      expect(other.code).toBe(Code.PermissionDenied);
      expect(other.rawMessage).toBe("user_id: the access token is for another user");
      expect(await counts()).toEqual(before);
    });

    it("RecordEvent: the user's own token and the service token are accepted", async () => {
      const own = await issueAccessToken("own", TEST_JWT_SECRET, 600);
      const res = await anonymous.recordEvent(click({ userId: "own" }), bearer(own.token));
      expect(res.event?.userId).toBe("own");
      const viaService = await anonymous.recordEvent(click({ userId: "u3" }), bearer(TEST_SERVICE_TOKEN));
      expect(viaService.event?.userId).toBe("u3");
    });

    it("checks credentials before validating, so an anonymous caller learns nothing about the request", async () => {
      const err = await failure(anonymous.recordEvent({ userId: "", productId: "", type: EventType.UNSPECIFIED }));
      expect(err.code).toBe(Code.Unauthenticated);
    });
  });

  describe("RecordEvents", () => {
    it("rejects 0 and more than 1000 events with INVALID_ARGUMENT naming events", async () => {
      const none = await failure(service.recordEvents({ events: [] }));
      expect(none.code).toBe(Code.InvalidArgument);
      expect(none.rawMessage).toBe("events: must hold 1 to 1000 events, got 0");
      const tooMany = await failure(service.recordEvents({ events: Array.from({ length: 1001 }, () => click()) }));
      expect(tooMany.rawMessage).toBe("events: must hold 1 to 1000 events, got 1001");
    });

    it("accepts or rejects each event on its own, in request order, and stores only the accepted ones", async () => {
      await service.recordEvent(click({ eventId: "stored-before", productId: "2" }));
      const before = await counts();
      const res = await service.recordEvents({
        events: [
          click({ eventId: "b-0" }),
          click({ eventId: "b-1", type: EventType.RATE, value: 7 }),
          click({ eventId: "b-2", userId: "ghost" }),
          click({ eventId: "b-3", productId: "404" }),
          click({ eventId: "b-0", productId: "2" }),
          click({ eventId: "stored-before" }),
          click({ eventId: "b-6", userId: "u2", productId: "4", type: EventType.RATE, value: 4.5 }),
          click({ eventId: "b 7" }),
          click({ userId: "u3", productId: "3", type: EventType.VIEW }),
        ],
      });
      expect(res.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(res.acceptedCount).toBe(5);
      expect(res.rejectedCount).toBe(4);
      const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = res.results;
      expect(r0?.duplicate).toBe(false);
      expect(r0?.error).toBeUndefined();
      expect(r0?.event?.eventId).toBe("b-0");
      expect(r1?.event).toBeUndefined();
      expect(r1?.error).toMatchObject({ code: Code.InvalidArgument });
      expect(r1?.error?.message).toMatch(/^value: must be between 0.5 and 5/);
      expect(r2?.error).toMatchObject({ code: Code.NotFound, message: 'user "ghost" not found' });
      expect(r3?.error).toMatchObject({ code: Code.NotFound, message: 'product "404" not found' });
      // A repeat within the batch is a duplicate of the first occurrence.
      expect(r4?.duplicate).toBe(true);
      expect(r4?.event).toEqual(r0?.event);
      // A repeat of an event stored before returns that event.
      expect(r5?.duplicate).toBe(true);
      expect(r5?.event?.productId).toBe("2");
      expect(r6?.event).toMatchObject({ userId: "u2", productId: "4", type: EventType.RATE, value: 4.5 });
      expect(r7?.error?.message).toMatch(/^event_id: /);
      expect(r8?.event?.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r8?.duplicate).toBe(false);
      // Three new events: b-0, b-6 and the generated one.
      expect(await counts()).toEqual({ events: before.events + 3, outbox: before.outbox + 3 });
      const outbox = await pool.query<{ payload: Buffer; key: string; headers: Record<string, string> }>(
        "SELECT payload, key, headers FROM outbox ORDER BY id DESC LIMIT 3",
      );
      const messages = outbox.rows.reverse().map((r) => ({ ...r, message: fromBinary(EngagementEventSchema, r.payload) }));
      expect(messages.map((m) => m.message.event?.eventId)).toEqual(["b-0", "b-6", r8?.event?.eventId]);
      expect(messages.map((m) => m.message.categories)).toEqual([["Adventure", "Comedy"], ["Horror"], []]);
      expect(messages.map((m) => m.key)).toEqual(["u1", "u2", "u3"]);
      expect(messages[1]?.headers).toEqual({ "user-id": "u2", "event-id": "b-6" });
    });

    it("records 1000 events with deduplicated look-ups: one BatchGetProducts and one GetUser per new user", async () => {
      const before = await counts();
      const calls = { ...directory.calls };
      const events = Array.from({ length: 1000 }, (_, i) =>
        click({ userId: i % 2 === 0 ? "bulk-a" : "bulk-b", productId: String(1 + (i % 4)), eventId: `bulk-${i}` }),
      );
      const started = performance.now();
      const res = await service.recordEvents({ events });
      const ms = performance.now() - started;
      expect(res.acceptedCount).toBe(1000);
      expect(res.results.every((r, i) => r.index === i && r.event?.eventId === `bulk-${i}` && !r.duplicate)).toBe(true);
      expect(await counts()).toEqual({ events: before.events + 1000, outbox: before.outbox + 1000 });
      expect(directory.calls.getUser - calls.getUser).toBe(2);
      expect(directory.calls.batchGetProducts - calls.batchGetProducts).toBeLessThanOrEqual(1);
      expect(directory.calls.getProduct - calls.getProduct).toBe(0);
      // Indicative only (shared 2-core machine): one batch of 1000 takes a few tens of ms.
      console.log(`RecordEvents: 1000 events in ${ms.toFixed(0)} ms`);

      const t1 = performance.now();
      const again = await service.recordEvents({ events: events.map((e, i) => ({ ...e, eventId: `bulk-again-${i}` })) });
      console.log(`RecordEvents: 1000 more events (look-ups cached) in ${(performance.now() - t1).toFixed(0)} ms`);
      expect(again.acceptedCount).toBe(1000);
      const repeat = await service.recordEvents({ events });
      expect(repeat.acceptedCount).toBe(1000);
      expect(repeat.results.every((r) => r.duplicate)).toBe(true);
      expect(await counts()).toEqual({ events: before.events + 2000, outbox: before.outbox + 2000 });
    });

    it("stores each event once when overlapping batches race (no deadlock)", async () => {
      const before = await counts();
      const ids = Array.from({ length: 200 }, (_, i) => `race-${i}`);
      const batch = (order: string[]) => service.recordEvents({ events: order.map((eventId) => click({ eventId, userId: "u2" })) });
      const results = await Promise.all([batch(ids), batch([...ids].reverse()), batch(ids.filter((_, i) => i % 2 === 0))]);
      const fresh = results.flatMap((r) => r.results.filter((x) => !x.duplicate).map((x) => x.event!.eventId));
      expect(fresh.sort()).toEqual([...ids].sort());
      expect(await counts()).toEqual({ events: before.events + 200, outbox: before.outbox + 200 });
    });

    it("with a user token, records that user's events and refuses a batch holding another user's", async () => {
      const own = await issueAccessToken("own", TEST_JWT_SECRET, 600);
      const ok = await anonymous.recordEvents({ events: [click({ userId: "own" }), click({ userId: "own", productId: "2" })] }, bearer(own.token));
      expect(ok.acceptedCount).toBe(2);
      const before = await counts();
      const mixed = await failure(
        anonymous.recordEvents({ events: [click({ userId: "own" }), click({ userId: "own" }), click({ userId: "u1" })] }, bearer(own.token)),
      );
      expect(mixed.code).toBe(Code.PermissionDenied);
      expect(mixed.rawMessage).toBe("events[2].user_id: the access token is for another user");
      expect((await failure(anonymous.recordEvents({ events: [click()] }))).code).toBe(Code.Unauthenticated);
      expect(await counts()).toEqual(before);
    });

    it("answers UNAVAILABLE and writes nothing when the product or user service is down", async () => {
      const before = await counts();
      const noCatalog = serviceClient(await startEngagement(NOWHERE, directory.userAddress));
      const p = await failure(noCatalog.recordEvents({ events: [click({ productId: "3", eventId: "down-1" })] }));
      expect(p.code).toBe(Code.Unavailable);
      expect(p.rawMessage).toBe("product service is unavailable, retry later");
      const noUsers = serviceClient(await startEngagement(directory.productAddress, NOWHERE));
      const u = await failure(noUsers.recordEvents({ events: [click({ userId: "never-seen", eventId: "down-2" })] }));
      expect(u.code).toBe(Code.Unavailable);
      expect(await counts()).toEqual(before);
    });
  });

  describe("reads", () => {
    it("open ListUserEvents only with AUTH_REQUIRED_FOR_READS=false, and keep the internal RPCs for the service token even then", async () => {
      const page = await anonymous.listUserEvents({ userId: "u1", pageSize: 1 });
      expect(page.events).toHaveLength(1);
      const own = await issueAccessToken("own", TEST_JWT_SECRET, 600);
      expect((await failure(anonymous.scanEvents({ pageSize: 1 }))).code).toBe(Code.Unauthenticated);
      expect((await failure(anonymous.getUserHistory({ userId: "u1" }))).code).toBe(Code.Unauthenticated);
      expect((await failure(anonymous.getUserHistory({ userId: "own" }, bearer(own.token)))).code).toBe(Code.PermissionDenied);
    });

    it("need the user's token (or the service token) by default, and the internal RPCs the service token", async () => {
      const strictAddress = await startEngagement(directory.productAddress, directory.userAddress, true);
      const open = createServiceClient(EngagementService, strictAddress, { timeoutMs: 10_000 });
      expect((await failure(open.listUserEvents({ userId: "own" }))).code).toBe(Code.Unauthenticated);
      expect((await failure(open.getUserHistory({ userId: "own" }))).code).toBe(Code.Unauthenticated);
      const own = await issueAccessToken("own", TEST_JWT_SECRET, 600);
      expect((await open.listUserEvents({ userId: "own" }, bearer(own.token))).events.length).toBeGreaterThan(0);
      expect((await failure(open.listUserEvents({ userId: "u1" }, bearer(own.token)))).code).toBe(Code.PermissionDenied);
      expect((await failure(open.getUserHistory({ userId: "own" }, bearer(own.token)))).code).toBe(Code.PermissionDenied);
      expect((await failure(open.scanEvents({}, bearer(own.token)))).code).toBe(Code.PermissionDenied);
      expect((await serviceClient(strictAddress).scanEvents({ pageSize: 1 })).events).toHaveLength(1);
      expect((await serviceClient(strictAddress).getUserHistory({ userId: "own" })).events.length).toBeGreaterThan(0);
    });
  });
});
