import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs, TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EngagementEventSchema, EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import type { GrpcServer } from "../../shared/src/grpc-server.js";
import { createLogger } from "../../shared/src/logger.js";
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

/** The RecordEvent request fields a test case sets. */
interface RecordEventInit {
  userId?: string;
  productId?: string;
  type?: EventType;
  value?: number;
  eventId?: string;
  occurTime?: Timestamp;
}

const TOPIC = "engagement-events";
/** A closed port: connections are refused at once. */
const NOWHERE = "127.0.0.1:1";

describe("EngagementService over gRPC (real PostgreSQL, in-process product/user servers)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let directory: FakeDirectoryServers;
  const servers: GrpcServer[] = [];
  let client: Client<typeof EngagementService>;

  /** Starts an engagement server with the given dependency addresses and database pool; returns its client. */
  async function startEngagement(
    productAddress: string,
    userAddress: string,
    eventsPool: pg.Pool = pool,
  ): Promise<Client<typeof EngagementService>> {
    const logger = createLogger("engagement-test");
    logger.level = "silent";
    const server = build({
      logger,
      events: new EventRepository(eventsPool),
      impressions: new ImpressionRepository(eventsPool),
      status: () => readEngagementStatus(eventsPool),
      catalog: new GrpcCatalogLookup(createServiceClient(ProductService, productAddress, { timeoutMs: 2_000 })),
      users: new GrpcUserDirectory(createServiceClient(UserService, userAddress, { timeoutMs: 2_000 })),
      topic: TOPIC,
      access: new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN }),
    });
    servers.push(server);
    const port = await server.listen("127.0.0.1", 0);
    // Internal caller: the service token on every call.
    return createServiceClient(EngagementService, `127.0.0.1:${port}`, {
      timeoutMs: 10_000,
      interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)],
    });
  }

  async function counts(): Promise<{ events: number; outbox: number }> {
    const res = await pool.query<{ e: string; o: string }>(
      "SELECT (SELECT count(*) FROM events)::text AS e, (SELECT count(*) FROM outbox)::text AS o",
    );
    return { events: Number(res.rows[0]?.e), outbox: Number(res.rows[0]?.o) };
  }

  beforeAll(async () => {
    db = await createTestDatabase("engagement_svc", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    // DROP DATABASE … WITH (FORCE) at the end may terminate a connection that is still closing.
    pool.on("error", () => undefined);
    directory = await startFakeDirectoryServers(
      { "1": ["Adventure", "Comedy"], "2": ["Drama"], "6": ["Action", "Crime", "Thriller"], "7": ["Horror"], "99": [] },
      ["u1", "u2", "u3", "u4", "u5", "u6", "idem-a", "idem-b", "idem-c"],
    );
    client = await startEngagement(directory.productAddress, directory.userAddress);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown(500)));
    await directory?.close();
    await pool?.end();
    await db?.drop();
  });

  describe("RecordEvent validation", () => {
    const nowMs = Date.now();
    const valid: RecordEventInit = { userId: "u1", productId: "1", type: EventType.CLICK, value: 0 };
    const cases: [string, RecordEventInit, string][] = [
      ["empty user_id", { userId: "" }, "user_id"],
      ["user_id with a space", { userId: "a b" }, "user_id"],
      ["user_id of 65 characters", { userId: "x".repeat(65) }, "user_id"],
      ["empty product_id", { productId: "" }, "product_id"],
      ["product_id with a slash", { productId: "1/2" }, "product_id"],
      ["type UNSPECIFIED", { type: EventType.UNSPECIFIED }, "type"],
      ["unknown type number", { type: 42 as EventType }, "type"],
      ["RATE with value 0", { type: EventType.RATE, value: 0 }, "value"],
      ["RATE above 5", { type: EventType.RATE, value: 5.5 }, "value"],
      ["RATE not a half step", { type: EventType.RATE, value: 3.3 }, "value"],
      ["RATE NaN", { type: EventType.RATE, value: Number.NaN }, "value"],
      ["RATE negative", { type: EventType.RATE, value: -1 }, "value"],
      ["CLICK with a value", { type: EventType.CLICK, value: 1 }, "value"],
      ["LIKE with a value", { type: EventType.LIKE, value: 0.5 }, "value"],
      ["event_id with a space", { eventId: "e 1" }, "event_id"],
      ["event_id of 65 characters", { eventId: "e".repeat(65) }, "event_id"],
      ["occur_time 10 minutes ahead", { occurTime: timestampFromMs(nowMs + 10 * 60_000) }, "occur_time"],
      ["occur_time years ahead", { occurTime: timestampFromMs(nowMs + 3e11) }, "occur_time"],
      ["occur_time before 1970", { occurTime: create(TimestampSchema, { seconds: -1n }) }, "occur_time"],
      ["occur_time with bad nanos", { occurTime: create(TimestampSchema, { seconds: 10n, nanos: -5 }) }, "occur_time"],
      // The first bad field in the documented order is the one named.
      ["bad user_id and bad type", { userId: "", type: EventType.UNSPECIFIED }, "user_id"],
      ["bad type and bad value", { type: 9 as EventType, value: 7 }, "type"],
      ["bad value and bad event_id", { value: 2, eventId: "!" }, "value"],
    ];
    it.each(cases)("%s → INVALID_ARGUMENT naming %s", async (_name, change, field) => {
      const err = await failure(client.recordEvent({ ...valid, ...change }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage.startsWith(`${field}: `)).toBe(true);
    });
    it("wrote nothing for rejected requests", async () => {
      expect(await counts()).toEqual({ events: 0, outbox: 0 });
    });
    it("names the accepted types", async () => {
      const err = await failure(client.recordEvent({ ...valid, type: EventType.UNSPECIFIED }));
      expect(err.rawMessage).toBe("type: must be one of CLICK, VIEW, LIKE, DISLIKE, RATE");
    });
  });

  describe("RecordEvent", () => {
    it("stores the event and its outbox message in one go", async () => {
      const before = await counts();
      const t0 = Date.now();
      const res = await client.recordEvent({ userId: "u2", productId: "6", type: EventType.RATE, value: 4.5 });
      expect(res.duplicate).toBe(false);
      const e = res.event!;
      expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(e).toMatchObject({ userId: "u2", productId: "6", type: EventType.RATE, value: 4.5 });
      expect(timestampMs(e.occurTime!)).toBeGreaterThanOrEqual(t0 - 1);
      expect(timestampMs(e.acceptTime!)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });

      const row = await pool.query<{ topic: string; key: string; payload: Buffer; headers: Record<string, string> }>(
        "SELECT topic, key, payload, headers FROM outbox ORDER BY id DESC LIMIT 1",
      );
      const out = row.rows[0]!;
      expect(out.topic).toBe(TOPIC);
      expect(out.key).toBe("u2");
      expect(out.headers).toEqual({ "user-id": "u2", "event-id": e.eventId });
      const msg = fromBinary(EngagementEventSchema, out.payload);
      expect(msg.categories).toEqual(["Action", "Crime", "Thriller"]);
      expect(msg.event?.eventId).toBe(e.eventId);
      expect(msg.event?.value).toBe(4.5);
      expect(timestampMs(msg.event!.acceptTime!)).toBe(timestampMs(e.acceptTime!));
    });

    it("accepts the edges: RATE 0.5 and 5, occur_time 4 minutes ahead, a product without categories", async () => {
      await client.recordEvent({ userId: "u2", productId: "1", type: EventType.RATE, value: 0.5 });
      await client.recordEvent({ userId: "u2", productId: "1", type: EventType.RATE, value: 5 });
      const ahead = Date.now() + 4 * 60_000;
      const res = await client.recordEvent({
        userId: "u2",
        productId: "99",
        type: EventType.VIEW,
        occurTime: timestampFromMs(ahead),
      });
      expect(timestampMs(res.event!.occurTime!)).toBe(ahead);
    });

    it("is idempotent on event_id: the second call returns the first event and writes nothing", async () => {
      const before = await counts();
      const first = await client.recordEvent({
        userId: "u3",
        productId: "2",
        type: EventType.LIKE,
        eventId: "client-evt:1",
      });
      const second = await client.recordEvent({
        userId: "u3",
        productId: "1",
        type: EventType.DISLIKE,
        eventId: "client-evt:1",
      });
      expect(first.duplicate).toBe(false);
      expect(second.duplicate).toBe(true);
      expect(second.event).toEqual(first.event);
      expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
    });

    it("scopes event_id to the user: another user's event with the same event_id is its own event", async () => {
      // Before, event_id was unique across users: idem-b got idem-a's event back (idem-a's user id,
      // product and type) with duplicate = true, and idem-b's own event was dropped.
      const before = await counts();
      const mine = await client.recordEvent({ userId: "idem-a", productId: "2", type: EventType.LIKE, eventId: "shared-evt" });
      const theirs = await client.recordEvent({ userId: "idem-b", productId: "6", type: EventType.CLICK, eventId: "shared-evt" });
      expect(mine.duplicate).toBe(false);
      expect(theirs.duplicate).toBe(false);
      expect(theirs.event).toMatchObject({ userId: "idem-b", productId: "6", type: EventType.CLICK, eventId: "shared-evt" });
      expect(await counts()).toEqual({ events: before.events + 2, outbox: before.outbox + 2 });
      const retry = await client.recordEvent({ userId: "idem-b", productId: "1", type: EventType.VIEW, eventId: "shared-evt" });
      expect(retry.duplicate).toBe(true);
      expect(retry.event).toEqual(theirs.event);

      // RecordEvents folds repeats per (user_id, event_id), not per event_id.
      const batch = await client.recordEvents({
        events: [
          { userId: "idem-a", productId: "1", type: EventType.CLICK, eventId: "shared-evt" }, // idem-a's retry
          { userId: "idem-c", productId: "1", type: EventType.VIEW, eventId: "shared-evt" }, // idem-c's own
          { userId: "idem-c", productId: "2", type: EventType.LIKE, eventId: "shared-evt" }, // its repeat in the batch
          { userId: "idem-b", productId: "2", type: EventType.LIKE, eventId: "batch-evt" },
          { userId: "idem-a", productId: "2", type: EventType.LIKE, eventId: "batch-evt" },
        ],
      });
      expect(batch.results.map((r) => [r.event?.userId, r.event?.productId, r.duplicate])).toEqual([
        ["idem-a", "2", true],
        ["idem-c", "1", false],
        ["idem-c", "1", true],
        ["idem-b", "2", false],
        ["idem-a", "2", false],
      ]);
      expect(await counts()).toEqual({ events: before.events + 5, outbox: before.outbox + 5 });
      const history = async (userId: string) =>
        (await client.listUserEvents({ userId, pageSize: 100 })).events.filter((e) => e.eventId === "shared-evt");
      for (const [userId, productId] of [["idem-a", "2"], ["idem-b", "6"], ["idem-c", "1"]] as const) {
        const own = await history(userId);
        expect(own.map((e) => [e.userId, e.productId]), userId).toEqual([[userId, productId]]);
      }
    });

    it("applies concurrent duplicates once", async () => {
      const before = await counts();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          client.recordEvent({ userId: "u3", productId: "6", type: EventType.CLICK, eventId: "race-1" }),
        ),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.event?.acceptTime?.seconds))).toHaveProperty("size", 1);
      expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
    });

    it("answers NOT_FOUND for an unknown user or product and writes nothing", async () => {
      const before = await counts();
      const user = await failure(client.recordEvent({ userId: "ghost", productId: "1", type: EventType.CLICK }));
      expect(user.code).toBe(Code.NotFound);
      expect(user.rawMessage).toBe('user "ghost" not found');
      const product = await failure(client.recordEvent({ userId: "u1", productId: "404", type: EventType.CLICK }));
      expect(product.code).toBe(Code.NotFound);
      expect(product.rawMessage).toBe('product "404" not found');
      expect(await counts()).toEqual(before);
    });

    it("caches found products and users briefly", async () => {
      const before = { ...directory.calls };
      for (let i = 0; i < 3; i += 1) await client.recordEvent({ userId: "u4", productId: "7", type: EventType.VIEW });
      expect(directory.calls.getProduct - before.getProduct).toBe(1);
      expect(directory.calls.getUser - before.getUser).toBe(1);
    });

    it("answers UNAVAILABLE when the product or user service is down, and writes nothing", async () => {
      const before = await counts();
      const noCatalog = await startEngagement(NOWHERE, directory.userAddress);
      const p = await failure(noCatalog.recordEvent({ userId: "u1", productId: "1", type: EventType.CLICK }));
      expect(p.code).toBe(Code.Unavailable);
      expect(p.rawMessage).toBe("product service is unavailable, retry later");
      const noUsers = await startEngagement(directory.productAddress, NOWHERE);
      const u = await failure(noUsers.recordEvent({ userId: "u1", productId: "1", type: EventType.CLICK }));
      expect(u.code).toBe(Code.Unavailable);
      expect(u.rawMessage).toBe("user service is unavailable, retry later");
      expect(await counts()).toEqual(before);
    });

    it("answers UNAVAILABLE when the engagement database is down", async () => {
      const deadPool = new pg.Pool({ connectionString: "postgres://recsys:recsys@127.0.0.1:1/none", connectionTimeoutMillis: 500 });
      deadPool.on("error", () => undefined);
      try {
        const c = await startEngagement(directory.productAddress, directory.userAddress, deadPool);
        const err = await failure(c.recordEvent({ userId: "u1", productId: "1", type: EventType.CLICK }));
        expect(err.code).toBe(Code.Unavailable);
        expect(err.rawMessage).toBe("engagement database is unavailable, retry later");
        const list = await failure(c.listUserEvents({ userId: "u1" }));
        expect(list.code).toBe(Code.Unavailable);
      } finally {
        await deadPool.end();
      }
    });
  });

  describe("ListUserEvents and GetUserHistory", () => {
    const base = Date.UTC(2024, 0, 1);
    // u5: 7 events; two pairs share occur_time, so the seq tie-break is exercised.
    const plan: [EventType, number, number][] = [
      [EventType.CLICK, 0, 0],
      [EventType.VIEW, 1_000, 0],
      [EventType.RATE, 1_000, 3],
      [EventType.CLICK, 5_000, 0],
      [EventType.LIKE, 3_000, 0],
      [EventType.CLICK, 7_000, 0],
      [EventType.CLICK, 7_000, 0],
    ];
    const ids: string[] = [];

    beforeAll(async () => {
      for (const [i, [type, offset, value]] of plan.entries()) {
        const res = await client.recordEvent({
          userId: "u5",
          productId: "1",
          type,
          value,
          eventId: `u5-${i}`,
          occurTime: timestampFromMs(base + offset),
        });
        ids.push(res.event!.eventId);
      }
      await client.recordEvent({ userId: "u6", productId: "1", type: EventType.CLICK, occurTime: timestampFromMs(base) });
    });

    /** Newest first by occur_time, then by acceptance (later first). */
    const expectedOrder = (): string[] =>
      plan
        .map(([type, offset], i) => ({ id: `u5-${i}`, type, offset, i }))
        .sort((a, b) => b.offset - a.offset || b.i - a.i)
        .map((e) => e.id);

    it("pages newest first with keyset tokens, with no gaps or repeats", async () => {
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await client.listUserEvents({ userId: "u5", pageSize: 2, pageToken: token });
        expect(page.events.length).toBeLessThanOrEqual(2);
        seen.push(...page.events.map((e) => e.eventId));
        token = page.nextPageToken;
        pages += 1;
      } while (token !== "" && pages < 10);
      expect(seen).toEqual(expectedOrder());
      expect(pages).toBe(4);
    });

    it("filters by type", async () => {
      const page = await client.listUserEvents({ userId: "u5", type: EventType.CLICK, pageSize: 3 });
      expect(page.events.map((e) => e.eventId)).toEqual(["u5-6", "u5-5", "u5-3"]);
      const rest = await client.listUserEvents({
        userId: "u5",
        type: EventType.CLICK,
        pageSize: 3,
        pageToken: page.nextPageToken,
      });
      expect(rest.events.map((e) => e.eventId)).toEqual(["u5-0"]);
      expect(rest.nextPageToken).toBe("");
    });

    it("defaults page_size to 20 and rejects bad sizes, bad tokens and tokens of another query", async () => {
      const all = await client.listUserEvents({ userId: "u5" });
      expect(all.events).toHaveLength(7);
      expect(all.nextPageToken).toBe("");
      expect((await failure(client.listUserEvents({ userId: "u5", pageSize: 101 }))).rawMessage).toMatch(/^page_size: /);
      expect((await failure(client.listUserEvents({ userId: "u5", pageSize: -1 }))).code).toBe(Code.InvalidArgument);
      expect((await failure(client.listUserEvents({ userId: "u5", pageToken: "garbage!" }))).rawMessage).toMatch(
        /^page_token: /,
      );
      const page = await client.listUserEvents({ userId: "u5", pageSize: 1 });
      const other = await failure(client.listUserEvents({ userId: "u6", pageToken: page.nextPageToken }));
      expect(other.rawMessage).toMatch(/^page_token: /);
      expect((await failure(client.listUserEvents({ userId: "" }))).rawMessage).toMatch(/^user_id: /);
      expect((await failure(client.listUserEvents({ userId: "u5", type: 77 as EventType }))).rawMessage).toMatch(/^type: /);
    });

    it("returns an empty page for a user without events", async () => {
      const page = await client.listUserEvents({ userId: "nobody" });
      expect(page.events).toEqual([]);
      expect(page.nextPageToken).toBe("");
    });

    it("GetUserHistory returns the newest max_events events", async () => {
      const h = await client.getUserHistory({ userId: "u5", maxEvents: 3 });
      expect(h.events.map((e) => e.eventId)).toEqual(expectedOrder().slice(0, 3));
      const all = await client.getUserHistory({ userId: "u5" });
      expect(all.events.map((e) => e.eventId)).toEqual(expectedOrder());
      expect(all.events.find((e) => e.eventId === "u5-2")?.value).toBe(3);
      expect((await failure(client.getUserHistory({ userId: "u5", maxEvents: 10_001 }))).rawMessage).toMatch(
        /^max_events: /,
      );
    });
  });

  describe("ScanEvents", () => {
    it("pages through every event once, in acceptance order", async () => {
      const expected = await pool.query<{ event_id: string }>("SELECT event_id FROM events ORDER BY seq");
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await client.scanEvents({ pageSize: 3, pageToken: token });
        seen.push(...page.events.map((e) => e.eventId));
        token = page.nextPageToken;
        pages += 1;
      } while (token !== "" && pages < 100);
      expect(seen).toEqual(expected.rows.map((r) => r.event_id));
      expect(seen.length).toBeGreaterThan(10);

      const all = await client.scanEvents({});
      expect(all.events.map((e) => e.eventId)).toEqual(seen);
      expect(all.nextPageToken).toBe("");
    });

    it("continues from a token after new events arrive", async () => {
      const all = await client.scanEvents({});
      const last = await client.scanEvents({ pageSize: all.events.length - 1 });
      expect(last.nextPageToken).not.toBe("");
      const res = await client.recordEvent({ userId: "u1", productId: "2", type: EventType.VIEW });
      const next = await client.scanEvents({ pageToken: last.nextPageToken });
      expect(next.events.map((e) => e.eventId)).toEqual([all.events[all.events.length - 1]!.eventId, res.event!.eventId]);
    });

    it("rejects bad sizes and tokens", async () => {
      expect((await failure(client.scanEvents({ pageSize: 10_001 }))).rawMessage).toMatch(/^page_size: /);
      expect((await failure(client.scanEvents({ pageToken: "eyJ4IjoxfQ" }))).rawMessage).toMatch(/^page_token: /);
    });
  });
});
