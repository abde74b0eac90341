import { Code, createClient } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { UserRepository } from "./data/user-repository.js";
import { LoginThrottle } from "./login-throttle.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { GrpcUserEventsEraser, type UserEventsEraser } from "./peers/user-events-eraser.js";
import { userRegistration } from "./server.js";
import type { UserServiceDeps } from "./service.js";

// DeleteUser and ListUsers on the real users database. The engagement side is the port
// UserEventsEraser: a recording one for the order of effects, and GrpcUserEventsEraser against a
// closed port for "engagement down" (test/e2e/user-deletion.test.ts runs the real chain).

/** A closed port: connections are refused at once. */
const NOWHERE = "127.0.0.1:1";
const PASSWORD = "a long enough password";
const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("DeleteUser and ListUsers (real PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let base: UserServiceDeps;
  /** What the recording eraser saw, with whether the account still existed at that moment. */
  let erased: { userId: string; accountStillThere: boolean }[];

  const recording: UserEventsEraser = {
    async deleteUserEvents(userId) {
      const { rowCount } = await pool.query("SELECT 1 FROM users WHERE user_id = $1", [userId]);
      erased.push({ userId, accountStillThere: rowCount === 1 });
      return 3;
    },
  };
  const client = (deps: Partial<UserServiceDeps> = {}) => createClient(UserService, inMemoryTransport(userRegistration({ ...base, ...deps })));

  async function register(username: string, deps: Partial<UserServiceDeps> = {}): Promise<{ userId: string; token: string }> {
    const c = client(deps);
    const { user } = await c.createUser({ username, email: `${username}@example.com`, password: PASSWORD });
    const { accessToken } = await c.createSession({ username, password: PASSWORD });
    return { userId: user!.userId, token: accessToken };
  }

  beforeAll(async () => {
    db = await createTestDatabase("user_del", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    base = { repository: new UserRepository(pool), jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, tokenTtlSeconds: 3600, events: recording };
  });
  beforeEach(async () => {
    erased = [];
    await pool.query("DELETE FROM users");
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("deletes the events first, then the account; the account's token is refused and it cannot sign in", async () => {
    const ada = await register("ada_del");
    const res = await client().deleteUser({ userId: ada.userId }, auth(ada.token));
    expect(res.deletedEventCount).toBe(3n);
    expect(erased).toEqual([{ userId: ada.userId, accountStillThere: true }]);
    expect(await pool.query("SELECT 1 FROM users WHERE user_id = $1", [ada.userId]).then((r) => r.rowCount)).toBe(0);
    expect((await failure(client().getUser({ userId: ada.userId }, auth(ada.token)))).code).toBe(Code.Unauthenticated);
    expect((await failure(client().getUser({ userId: ada.userId }, auth(TEST_SERVICE_TOKEN)))).code).toBe(Code.NotFound);
    expect((await failure(client().createSession({ username: "ada_del", password: PASSWORD }))).code).toBe(Code.Unauthenticated);
    // Deleting again: NOT_FOUND with the service token (idempotent in effect, nothing left to delete).
    expect((await failure(client().deleteUser({ userId: ada.userId }, auth(TEST_SERVICE_TOKEN)))).code).toBe(Code.NotFound);
  });

  it("forgets the username's sign-in failures with the account", async () => {
    const throttle = new LoginThrottle({ failuresPerUsername: 2, usernameWindowSeconds: 900, attemptsPerAddress: 100, addressWindowSeconds: 60 });
    const bo = await register("bo_del", { loginThrottle: throttle });
    const c = client({ loginThrottle: throttle });
    for (let i = 0; i < 2; i += 1) expect((await failure(c.createSession({ username: "bo_del", password: "wrong password!" }))).code).toBe(Code.Unauthenticated);
    expect((await failure(c.createSession({ username: "bo_del", password: PASSWORD }))).code).toBe(Code.ResourceExhausted);
    await c.deleteUser({ userId: bo.userId }, auth(TEST_SERVICE_TOKEN));
    // A new account of the same name starts with a clean slate.
    await c.createUser({ username: "bo_del", email: "bo@example.com", password: PASSWORD });
    expect((await c.createSession({ username: "bo_del", password: PASSWORD })).accessToken).not.toBe("");
  });

  it("is PERMISSION_DENIED with another user's token and INVALID_ARGUMENT for a bad user_id, deleting nothing", async () => {
    const a = await register("a_del");
    const b = await register("b_del");
    const denied = await failure(client().deleteUser({ userId: a.userId }, auth(b.token)));
    expect(denied.code).toBe(Code.PermissionDenied);
    const bad = await failure(client().deleteUser({ userId: "a b" }, auth(TEST_SERVICE_TOKEN)));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain("user_id");
    expect(erased).toEqual([]);
  });

  it("answers UNAVAILABLE and keeps the account when the engagement service is down; a retry completes it", async () => {
    const down = new GrpcUserEventsEraser(
      createServiceClient(EngagementService, NOWHERE, { timeoutMs: 2_000, interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)] }),
    );
    const cy = await register("cy_del");
    const err = await failure(client({ events: down }).deleteUser({ userId: cy.userId }, auth(cy.token)));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain("engagement service");
    expect((await client().getUser({ userId: cy.userId }, auth(cy.token))).user?.userId).toBe(cy.userId);
    await client().deleteUser({ userId: cy.userId }, auth(cy.token));
    expect(await pool.query("SELECT 1 FROM users WHERE user_id = $1", [cy.userId]).then((r) => r.rowCount)).toBe(0);
  });

  it("ListUsers pages through every account in user_id order, for the service token only", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await client().createUser({ username: `list_${i}`, email: `l${i}@example.com`, password: PASSWORD })).user!.userId);
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await client().listUsers({ pageSize: 2, pageToken }, auth(TEST_SERVICE_TOKEN));
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u) => u.userId));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual([...ids].sort());
    const user = await register("lister_del");
    expect((await failure(client().listUsers({}, auth(user.token)))).code).toBe(Code.PermissionDenied);
    expect((await failure(client().listUsers({ pageSize: 101 }, auth(TEST_SERVICE_TOKEN)))).rawMessage).toContain("page_size");
    expect((await failure(client().listUsers({ pageToken: "garbage" }, auth(TEST_SERVICE_TOKEN)))).rawMessage).toContain("page_token");
  });
});
