import { Code, createClient, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ImportUserOutcome, UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { UserRepository } from "./data/user-repository.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { userRegistration } from "./server.js";

const SERVICE = { headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` } };

describe("UserService.BatchImportUsers (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let client: Client<typeof UserService>;

  beforeAll(async () => {
    db = await createTestDatabase("user_import", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const deps = { repository: new UserRepository(pool), jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, tokenTtlSeconds: 3600 };
    client = createClient(UserService, inMemoryTransport(userRegistration(deps)));
  });
  beforeEach(async () => {
    await pool.query("DELETE FROM users");
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("creates accounts with the caller's ids and no password, and a second import changes nothing", async () => {
    const users = [
      { userId: "shop-u1", username: "ada", email: "ada@example.com" },
      { userId: "42", username: "movielens_42", email: "" },
    ];
    const first = await client.batchImportUsers({ users }, SERVICE);
    expect(first.results.map((r) => [r.userId, r.status?.code, r.outcome])).toEqual([
      ["shop-u1", 0, ImportUserOutcome.CREATED],
      ["42", 0, ImportUserOutcome.CREATED],
    ]);
    const { rows } = await pool.query<{ user_id: string; password_hash: string | null }>("SELECT user_id, password_hash FROM users ORDER BY user_id");
    expect(rows).toEqual([
      { user_id: "42", password_hash: null },
      { user_id: "shop-u1", password_hash: null },
    ]);
    const second = await client.batchImportUsers({ users }, SERVICE);
    expect(second.results.map((r) => r.outcome)).toEqual([ImportUserOutcome.UNCHANGED, ImportUserOutcome.UNCHANGED]);
  });

  it("rejects each bad user on its own, naming the field, and stores the rest", async () => {
    await client.batchImportUsers({ users: [{ userId: "taken", username: "grace", email: "" }] }, SERVICE);
    const res = await client.batchImportUsers(
      {
        users: [
          { userId: "ok-1", username: "linus", email: "" },
          { userId: "", username: "nobody", email: "" },
          { userId: "ok-2", username: "x", email: "" },
          { userId: "ok-3", username: "margaret", email: "not-an-address" },
          { userId: "ok-1", username: "linus2", email: "" },
          { userId: "taken", username: "grace", email: "grace@example.com" },
          { userId: "ok-4", username: "GRACE", email: "" },
        ],
      },
      SERVICE,
    );
    expect(res.results.map((r) => [r.status?.code, r.status?.message.split(":")[0]])).toEqual([
      [0, ""],
      [Code.InvalidArgument, "users[1].user_id"],
      [Code.InvalidArgument, "users[2].username"],
      [Code.InvalidArgument, "users[3].email"],
      [Code.InvalidArgument, "users[4].user_id"],
      [Code.AlreadyExists, "users[5].user_id"],
      [Code.AlreadyExists, "users[6].username"],
    ]);
    expect(res.results[0]!.outcome).toBe(ImportUserOutcome.CREATED);
    expect(res.results.slice(1).every((r) => r.outcome === ImportUserOutcome.UNSPECIFIED)).toBe(true);
    const { rows } = await pool.query<{ user_id: string }>("SELECT user_id FROM users ORDER BY user_id");
    expect(rows.map((r) => r.user_id)).toEqual(["ok-1", "taken"]);
  });

  it("needs the service token and 1 to 1000 users", async () => {
    const anonymous = await failure(client.batchImportUsers({ users: [{ userId: "a1", username: "anon", email: "" }] }));
    expect(anonymous.code).toBe(Code.Unauthenticated);
    const empty = await failure(client.batchImportUsers({ users: [] }, SERVICE));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.rawMessage).toMatch(/^users: must hold 1 to 1000 users, got 0/);
  });
});
