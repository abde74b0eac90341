import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createServiceClient } from "../../shared/src/clients.js";
import type { GrpcServer } from "../../shared/src/grpc-server.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { UserRepository } from "./data/user-repository.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";
import { verifyAccessToken } from "../../shared/src/access-token.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";

const code = async (p: Promise<unknown>) => ConnectError.from(await p.then(() => new Error("succeeded"), (e: unknown) => e));

describe("UserService over gRPC (real server, port 0)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let server: GrpcServer;
  let address: string;

  beforeAll(async () => {
    db = await createTestDatabase("user_srv", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    server = build({ repository: new UserRepository(pool), jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, tokenTtlSeconds: 600, logger: pino({ level: "silent" }) });
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  });
  afterAll(async () => {
    await server?.shutdown(1_000);
    await pool?.end();
    await db?.drop();
  });

  it("registers, signs in and looks up a user", async () => {
    const client = createServiceClient(UserService, address);
    const created = await client.createUser({ username: "grpc.user", email: "grpc@example.com", password: "grpc-password" });
    const userId = created.user?.userId ?? "";
    const signedIn = await client.createSession({ username: "grpc.user", password: "grpc-password" });
    expect((await verifyAccessToken(signedIn.accessToken, TEST_JWT_SECRET)).userId).toBe(userId);
    const got = await client.getUser({ userId }, { headers: { authorization: `Bearer ${signedIn.accessToken}` } });
    expect(got.user?.username).toBe("grpc.user");
    expect((await code(client.getUser({ userId }))).code).toBe(Code.Unauthenticated);
    expect(got.user?.createTime).toBeDefined();
  });

  it("carries ALREADY_EXISTS, UNAUTHENTICATED, INVALID_ARGUMENT and NOT_FOUND over the wire", async () => {
    const client = createServiceClient(UserService, address);
    await client.createUser({ username: "wire", email: "wire@example.com", password: "wire-password" });
    expect((await code(client.createUser({ username: "WIRE", email: "w@example.com", password: "wire-password" }))).code).toBe(Code.AlreadyExists);
    expect((await code(client.createSession({ username: "wire", password: "bad-password" }))).code).toBe(Code.Unauthenticated);
    const bad = await code(client.createUser({ username: "w", email: "w@example.com", password: "wire-password" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^username: /);
    const asService = { headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` } };
    expect((await code(client.getUser({ userId: "nope" }, asService))).code).toBe(Code.NotFound);
  });

  it("UpdateUser reads the access token from the authorization metadata", async () => {
    const client = createServiceClient(UserService, address);
    const created = await client.createUser({ username: "patcher", email: "p@example.com", password: "patch-password" });
    const userId = created.user?.userId ?? "";
    const { accessToken } = await client.createSession({ username: "patcher", password: "patch-password" });
    const code = async (p: Promise<unknown>) => ConnectError.from(await p.then(() => new Error("succeeded"), (e: unknown) => e));
    expect((await code(client.updateUser({ userId, email: "new@example.com" }))).code).toBe(Code.Unauthenticated);
    const updated = await client.updateUser({ userId, email: "new@example.com" }, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(updated.user?.email).toBe("new@example.com");
    const viaService = await client.updateUser({ userId, email: "svc@example.com" }, { headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` } });
    expect(viaService.user?.email).toBe("svc@example.com");
  });
});
