import { create, toJsonString } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CreateSessionRequestSchema,
  CreateUserRequestSchema,
  GetUserResponseSchema,
  UpdateUserResponseSchema,
  UserService,
} from "../../../gen/recsys/user/v1/user_service_pb.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { UserRepository } from "./data/user-repository.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { userRegistration } from "./server.js";
import { INVALID_CREDENTIALS, UserServiceImpl, type UserServiceDeps } from "./service.js";
import { verifyAccessToken } from "../../shared/src/access-token.js";
import { failure } from "../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";

const newUser = (username: string, email = `${username}@example.com`, password = "s3cret-pass") =>
  create(CreateUserRequestSchema, { username, email, password });
const session = (username: string, password: string) => create(CreateSessionRequestSchema, { username, password });

describe("UserServiceImpl (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let service: UserServiceImpl;
  let serviceDeps: UserServiceDeps;

  const userCount = async (): Promise<number> =>
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM users")).rows[0]?.n ?? -1;

  beforeAll(async () => {
    db = await createTestDatabase("user_svc", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    serviceDeps = { repository: new UserRepository(pool), jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, tokenTtlSeconds: 3600 };
    service = new UserServiceImpl(serviceDeps);
  });
  beforeEach(async () => {
    await pool.query("DELETE FROM users");
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  describe("CreateUser", () => {
    it("creates an account with a UUID and stores only an Argon2id hash", async () => {
      const before = Date.now();
      const res = await service.createUser(newUser("Alice_1"));
      expect(res.user?.userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.user?.username).toBe("Alice_1");
      expect(res.user?.email).toBe("Alice_1@example.com");
      const created = timestampDate(res.user!.createTime!).getTime();
      expect(created).toBeGreaterThanOrEqual(before - 5_000);
      const { rows } = await pool.query<{ password_hash: string }>("SELECT password_hash FROM users");
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(rows[0]?.password_hash).not.toContain("s3cret-pass");
    });

    it("rejects each bad field with INVALID_ARGUMENT naming it, writing nothing", async () => {
      const cases: Array<[ReturnType<typeof newUser>, string]> = [
        [newUser(""), "username"],
        [newUser("ab"), "username"],
        [newUser("x".repeat(33)), "username"],
        [newUser("bad name"), "username"],
        [newUser("émile"), "username"],
        [newUser("MovieLens_7"), "username"],
        [newUser("bob", ""), "email"],
        [newUser("bob", "bob"), "email"],
        [newUser("bob", "bob@example"), "email"],
        [newUser("bob", "b ob@example.com"), "email"],
        [newUser("bob", `${"b".repeat(250)}@example.com`), "email"],
        [newUser("bob", "bob@example.com", "short"), "password"],
        [newUser("bob", "bob@example.com", "p".repeat(129)), "password"],
      ];
      for (const [request, field] of cases) {
        const err = await failure(service.createUser(request));
        expect(err.code, `${request.username}/${request.email}`).toBe(Code.InvalidArgument);
        expect(err.rawMessage.startsWith(`${field}: `), err.rawMessage).toBe(true);
      }
      expect(await userCount()).toBe(0);
      // Bounds are inclusive: 3 and 32 characters, 8 and 128 (code points) of password.
      await service.createUser(newUser("abc", "a@b.co", "p".repeat(8)));
      await service.createUser(newUser("y".repeat(32), "y@b.co", "🔑".repeat(128)));
      expect(await userCount()).toBe(2);
    });

    it("answers ALREADY_EXISTS for a taken username, case-insensitively, without a second row", async () => {
      await service.createUser(newUser("carol"));
      const err = await failure(service.createUser(newUser("CAROL", "other@example.com")));
      expect(err.code).toBe(Code.AlreadyExists);
      expect(err.rawMessage).toBe('username "CAROL" is already taken');
      expect(await userCount()).toBe(1);
    });

    it("lets exactly one of concurrent registrations of one name succeed", async () => {
      const results = await Promise.allSettled(["dave", "Dave", "DAVE", "daVe"].map((name) => service.createUser(newUser(name))));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.AlreadyExists);
      }
      expect(await userCount()).toBe(1);
    });
  });

  describe("CreateSession", () => {
    it("issues a token that verifies and carries the user id as sub", async () => {
      const created = await service.createUser(newUser("erin", "erin@example.com", "erin-password"));
      const before = Date.now();
      const res = await service.createSession(session("ERIN", "erin-password"));
      expect(res.user?.userId).toBe(created.user?.userId);
      const claims = await verifyAccessToken(res.accessToken, TEST_JWT_SECRET);
      expect(claims.userId).toBe(created.user?.userId);
      const expires = timestampDate(res.expireTime!).getTime();
      expect(expires).toBe(claims.expireTime.getTime());
      expect(expires - before).toBeGreaterThan(3590_000);
      expect(expires - before).toBeLessThanOrEqual(3601_000);
    });

    it("gives the same UNAUTHENTICATED error for a wrong password, an unknown user and a user without password", async () => {
      await service.createUser(newUser("frank", "frank@example.com", "frank-password"));
      await pool.query("INSERT INTO users (user_id, username, email, password_hash) VALUES ('7', 'movielens_7', '', NULL)");
      const errors = await Promise.all([
        failure(service.createSession(session("frank", "wrong-password"))),
        failure(service.createSession(session("nobody", "frank-password"))),
        failure(service.createSession(session("movielens_7", "anything-at-all"))),
        failure(service.createSession(session("not a valid name!", "frank-password"))),
      ]);
      for (const err of errors) {
        expect(err.code).toBe(Code.Unauthenticated);
        expect(err.rawMessage).toBe(INVALID_CREDENTIALS);
      }
    });

    it("spends comparable hashing time on unknown users and wrong passwords", async () => {
      await service.createUser(newUser("gina", "gina@example.com", "gina-password"));
      await failure(service.createSession(session("nobody", "x-password"))); // warm the dummy hash
      const time = async (username: string): Promise<number> => {
        const started = performance.now();
        await failure(service.createSession(session(username, "wrong-password")));
        return performance.now() - started;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        known.push(await time("gina"));
        unknown.push(await time("nobody-here"));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
      // Without the dummy verification an unknown user would answer in ~1 ms against ~60 ms.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    });

    it("rejects empty fields naming them", async () => {
      expect((await failure(service.createSession(session("", "x")))).rawMessage).toBe("username: is required");
      expect((await failure(service.createSession(session("x", "")))).rawMessage).toBe("password: is required");
    });
  });

  describe("GetUser", () => {
    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const client = () => createClient(UserService, inMemoryTransport(userRegistration(serviceDeps)));

    it("returns the account without any hash, to the account itself or the service", async () => {
      const created = await service.createUser(newUser("hank", "hank@example.com", "hank-password"));
      const { accessToken } = await service.createSession(session("hank", "hank-password"));
      const res = await client().getUser({ userId: created.user!.userId }, auth(accessToken));
      expect(res.user?.username).toBe("hank");
      expect(res.user?.email).toBe("hank@example.com");
      const json = toJsonString(GetUserResponseSchema, res);
      expect(json).not.toMatch(/scrypt|argon|hash|hank-password/);
      expect(Object.keys(res.user ?? {})).not.toContain("passwordHash");
      expect((await client().getUser({ userId: created.user!.userId }, auth(TEST_SERVICE_TOKEN))).user?.email).toBe("hank@example.com");
    });

    it("keeps the account (and its email) from anonymous callers and other users", async () => {
      const ivy = await service.createUser(newUser("ivy", "ivy@example.com", "ivy-password"));
      await service.createUser(newUser("jack", "jack@example.com", "jack-password"));
      const jack = await service.createSession(session("jack", "jack-password"));
      expect((await failure(client().getUser({ userId: ivy.user!.userId }))).code).toBe(Code.Unauthenticated);
      const other = await failure(client().getUser({ userId: ivy.user!.userId }, auth(jack.accessToken)));
      expect(other.code).toBe(Code.PermissionDenied);
      expect(other.rawMessage).toBe("user_id: the access token is for another user");
    });

    it("answers NOT_FOUND and INVALID_ARGUMENT naming user_id", async () => {
      const missing = await failure(client().getUser({ userId: "404" }, auth(TEST_SERVICE_TOKEN)));
      expect(missing.code).toBe(Code.NotFound);
      expect(missing.rawMessage).toBe('user "404" not found');
      const bad = await failure(client().getUser({ userId: "" }, auth(TEST_SERVICE_TOKEN)));
      expect(bad.code).toBe(Code.InvalidArgument);
      expect(bad.rawMessage).toBe("user_id: is required");
    });
  });

  describe("UpdateUser", () => {
    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const client = () => createClient(UserService, inMemoryTransport(userRegistration(serviceDeps)));

    async function account(username: string, password = `${username}-password`): Promise<{ userId: string; token: string }> {
      const created = await service.createUser(newUser(username, `${username}@example.com`, password));
      const signedIn = await service.createSession(session(username, password));
      return { userId: created.user!.userId, token: signedIn.accessToken };
    }

    const stored = async (userId: string) =>
      (await pool.query<{ email: string; password_hash: string }>("SELECT email, password_hash FROM users WHERE user_id = $1", [userId])).rows[0];

    it("changes the email, the password or both with the account's own token", async () => {
      const jane = await account("jane");
      const before = await stored(jane.userId);
      const emailOnly = await client().updateUser({ userId: jane.userId, email: "jane@new.example.com" }, auth(jane.token));
      expect(emailOnly.user).toMatchObject({ userId: jane.userId, username: "jane", email: "jane@new.example.com" });
      expect((await stored(jane.userId))?.password_hash).toBe(before?.password_hash);

      await client().updateUser({ userId: jane.userId, password: "a brand new password", currentPassword: "jane-password" }, auth(jane.token));
      expect((await stored(jane.userId))?.email).toBe("jane@new.example.com");
      expect((await failure(service.createSession(session("jane", "jane-password")))).code).toBe(Code.Unauthenticated);
      const second = await service.createSession(session("jane", "a brand new password"));
      expect(second.user?.userId).toBe(jane.userId);

      // The password change revoked jane.token; the new session's token works.
      const both = await client().updateUser(
        { userId: jane.userId, email: "j@x.example.com", password: "third password!", currentPassword: "a brand new password" },
        auth(second.accessToken),
      );
      expect(both.user?.email).toBe("j@x.example.com");
      const third = await service.createSession(session("jane", "third password!"));
      expect(third.user?.userId).toBe(jane.userId);

      const nothing = await client().updateUser({ userId: jane.userId }, auth(third.accessToken));
      expect(nothing.user?.email).toBe("j@x.example.com");
      expect(toJsonString(UpdateUserResponseSchema, both)).not.toMatch(/scrypt|hash|third password/);
    });

    it("allows only the account itself or the service token", async () => {
      const kate = await account("kate");
      const liam = await account("liam");
      const missing = await failure(client().updateUser({ userId: kate.userId, email: "x@example.com" }));
      expect(missing.code).toBe(Code.Unauthenticated);
      const bad = await failure(client().updateUser({ userId: kate.userId, email: "x@example.com" }, auth("bad.token.here")));
      expect(bad.code).toBe(Code.Unauthenticated);
      const other = await failure(client().updateUser({ userId: kate.userId, email: "x@example.com" }, auth(liam.token)));
      expect(other.code).toBe(Code.PermissionDenied);
      expect(other.rawMessage).toBe("user_id: the access token is for another user");
      expect((await stored(kate.userId))?.email).toBe("kate@example.com");
      const viaService = await client().updateUser({ userId: kate.userId, email: "kate@svc.example.com" }, auth(TEST_SERVICE_TOKEN));
      expect(viaService.user?.email).toBe("kate@svc.example.com");
      const ghost = await failure(client().updateUser({ userId: "no-such-user", email: "g@example.com" }, auth(TEST_SERVICE_TOKEN)));
      expect(ghost.code).toBe(Code.NotFound);
    });

    it("validates like CreateUser, naming the field, and writes nothing for a rejected request", async () => {
      const mona = await account("mona");
      const before = await stored(mona.userId);
      const cases: Array<[{ email?: string; password?: string }, string]> = [
        [{ email: "" }, "email"],
        [{ email: "not-an-address" }, "email"],
        [{ email: `${"m".repeat(250)}@example.com` }, "email"],
        [{ password: "short" }, "password"],
        [{ password: "p".repeat(129) }, "password"],
        [{ email: "fine@example.com", password: "short" }, "password"],
      ];
      for (const [change, field] of cases) {
        const err = await failure(client().updateUser({ userId: mona.userId, ...change }, auth(mona.token)));
        expect(err.code, JSON.stringify(change)).toBe(Code.InvalidArgument);
        expect(err.rawMessage.startsWith(`${field}: `), err.rawMessage).toBe(true);
      }
      expect(await stored(mona.userId)).toEqual(before);
      const badId = await failure(client().updateUser({ userId: "", email: "m@example.com" }, auth(TEST_SERVICE_TOKEN)));
      expect(badId.rawMessage).toBe("user_id: is required");
    });
  });

  it("serves through the in-memory connect transport", async () => {
    const client = createClient(UserService, inMemoryTransport(userRegistration(serviceDeps)));
    const created = await client.createUser({ username: "ivy", email: "ivy@example.com", password: "ivy-password" });
    const signedIn = await client.createSession({ username: "ivy", password: "ivy-password" });
    expect((await verifyAccessToken(signedIn.accessToken, TEST_JWT_SECRET)).userId).toBe(created.user?.userId);
    const dup = await failure(client.createUser({ username: "IVY", email: "ivy@example.com", password: "ivy-password" }));
    expect(dup.code).toBe(Code.AlreadyExists);
    const denied = await failure(client.createSession({ username: "ivy", password: "nope-nope" }));
    expect(denied.code).toBe(Code.Unauthenticated);
  });
});
