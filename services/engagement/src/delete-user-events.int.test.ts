import { fromBinary } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EngagementEventSchema, EventType } from "../../../gen/recsys/engagement/v1/event_pb.js";
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
import { ImpressionRepository } from "./data/impression-repository.js";
import { readEngagementStatus } from "./data/engagement-status-repository.js";
import { EventRepository } from "./data/event-repository.js";
import { USER_DELETION_HEADER } from "./event-message.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { GrpcCatalogLookup } from "./peers/catalog-lookup.js";
import { build } from "./server.js";
import { startFakeDirectoryServers, type FakeDirectoryServers } from "./testing/fake-directory-servers.js";

// EngagementService.DeleteUserEvents on the real PostgreSQL: events, deletion record and the
// UserDeletion outbox message in one transaction; events of the deleted user refused afterwards
// (the user directory, a fake UserService here, still says the user exists: the record decides);
// repeats delete and queue nothing; concurrent batches never leave an event behind.

describe("EngagementService.DeleteUserEvents (real PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let directory: FakeDirectoryServers;
  let server: GrpcServer;
  let client: Client<typeof EngagementService>;
  let address: string;

  beforeAll(async () => {
    db = await createTestDatabase("engagement_del", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
    pool.on("error", () => undefined);
    directory = await startFakeDirectoryServers({ "1": ["Comedy"], "2": ["Drama"] }, ["d1", "d2", "d3", "race", "keep"]);
    const logger = createLogger("engagement-test");
    logger.level = "silent";
    server = build({
      logger,
      events: new EventRepository(pool),
      impressions: new ImpressionRepository(pool),
      status: () => readEngagementStatus(pool),
      catalog: new GrpcCatalogLookup(createServiceClient(ProductService, directory.productAddress, { timeoutMs: 2_000 })),
      users: new GrpcUserDirectory(createServiceClient(UserService, directory.userAddress, { timeoutMs: 2_000 })),
      topic: "engagement-events",
      access: new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN }),
    });
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
    client = createServiceClient(EngagementService, address, { timeoutMs: 10_000, interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)] });
  });
  afterAll(async () => {
    await server?.shutdown(500);
    await directory?.close();
    await pool?.end();
    await db?.drop();
  });

  const count = async (sql: string, params: unknown[]): Promise<number> => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);

  it("deletes the events, records the deletion and queues one UserDeletion message listing them, keyed by the user", async () => {
    await client.recordEvent({ userId: "d1", productId: "1", type: EventType.CLICK });
    await client.recordEvent({ userId: "d1", productId: "2", type: EventType.RATE, value: 4 });
    await client.recordEvent({ userId: "keep", productId: "1", type: EventType.LIKE });
    await pool.query("DELETE FROM outbox");

    const res = await client.deleteUserEvents({ userId: "d1" });
    expect(res.deletedEventCount).toBe(2n);
    expect(await count("SELECT count(*)::text AS n FROM events WHERE user_id = $1", ["d1"])).toBe(0);
    expect(await count("SELECT count(*)::text AS n FROM events WHERE user_id = $1", ["keep"])).toBe(1);
    const record = await pool.query<{ deleted_events: string }>("SELECT deleted_events::text FROM user_deletions WHERE user_id = 'd1'");
    expect(record.rows).toEqual([{ deleted_events: "2" }]);

    const outbox = await pool.query<{ key: string; payload: Buffer; headers: Record<string, string> }>("SELECT key, payload, headers FROM outbox");
    expect(outbox.rows).toHaveLength(1);
    const row = outbox.rows[0]!;
    expect(row.key).toBe("d1");
    expect(row.headers[USER_DELETION_HEADER]).toBe("1");
    const message = fromBinary(EngagementEventSchema, row.payload);
    expect(message.event).toBeUndefined();
    expect(message.userDeletion?.userId).toBe("d1");
    expect(message.userDeletion?.events.map((e) => [e.productId, e.type])).toEqual([["1", EventType.CLICK], ["2", EventType.RATE]]);
  });

  it("is idempotent: a repeat deletes nothing more and queues no second message", async () => {
    await pool.query("DELETE FROM outbox");
    const first = await client.deleteUserEvents({ userId: "d1" });
    expect(first.deletedEventCount).toBe(0n);
    expect(await count("SELECT count(*)::text AS n FROM outbox", [])).toBe(0);
  });

  it("refuses events recorded for the deleted user afterwards with NOT_FOUND, singly and in batches", async () => {
    const single = await failure(client.recordEvent({ userId: "d1", productId: "1", type: EventType.CLICK }));
    expect(single.code).toBe(Code.NotFound);
    expect(single.rawMessage).toContain("d1");
    const batch = await client.recordEvents({
      events: [
        { userId: "keep", productId: "2", type: EventType.CLICK },
        { userId: "d1", productId: "2", type: EventType.CLICK },
      ],
    });
    expect(batch.results.map((r) => r.error?.code ?? 0)).toEqual([0, Code.NotFound]);
    expect(batch.acceptedCount).toBe(1);
    expect(await count("SELECT count(*)::text AS n FROM events WHERE user_id = $1", ["d1"])).toBe(0);
    // The deleted user's history is NOT_FOUND, not an empty page.
    expect((await failure(client.listUserEvents({ userId: "d1" }))).code).toBe(Code.NotFound);
    expect((await client.listUserEvents({ userId: "keep" })).events.length).toBeGreaterThan(0);
  });

  it("never leaves an event of a user recorded while the user is deleted", async () => {
    const writers = Array.from({ length: 20 }, (_, i) =>
      client.recordEvent({ userId: "race", productId: "1", type: EventType.CLICK, eventId: `race-${i}` }).then(
        () => "stored" as const,
        (err: unknown) => ((err as { code?: Code }).code === Code.NotFound ? ("refused" as const) : Promise.reject(err)),
      ),
    );
    const deletion = client.deleteUserEvents({ userId: "race" });
    const outcomes = await Promise.all(writers);
    const deleted = await deletion;
    expect(await count("SELECT count(*)::text AS n FROM events WHERE user_id = $1", ["race"])).toBe(0);
    // Every stored event was deleted by the one deletion; every other was refused.
    expect(Number(deleted.deletedEventCount)).toBe(outcomes.filter((o) => o === "stored").length);
  });

  it("needs the service token (PERMISSION_DENIED for the user's own token) and a valid user_id", async () => {
    const { token } = await issueAccessToken("d2", TEST_JWT_SECRET, 3600);
    const asUser = createServiceClient(EngagementService, address, { timeoutMs: 10_000 });
    const denied = await failure(asUser.deleteUserEvents({ userId: "d2" }, { headers: { authorization: `Bearer ${token}` } }));
    expect(denied.code).toBe(Code.PermissionDenied);
    const bad = await failure(client.deleteUserEvents({ userId: "a b" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain("user_id");
  });
});
