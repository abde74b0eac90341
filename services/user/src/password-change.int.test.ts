import { Code, createClient } from "@connectrpc/connect";
import { decodeJwt } from "jose";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { failure } from "../../../test/support/failure.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { UserRepository } from "./data/user-repository.js";
import { LoginThrottle } from "./login-throttle.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { hashPasswordLegacyScrypt, verifyPassword } from "./passwords.js";
import { userRegistration } from "./server.js";
import type { UserServiceDeps } from "./service.js";

// Item 5 of issue 9, against PostgreSQL: legacy scrypt hashes are rehashed with Argon2id at sign-in;
// a password change needs the current password and revokes the tokens issued before it; sign-in is
// throttled before any hashing. Before, the service hashed with scrypt N=2^15, changed a password
// with the account's token alone, kept old tokens valid and hashed every attempt.

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("passwords, token revocation and login throttling (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repository: UserRepository;
  /** findCredentials / findCredentialsById calls: a password check reads the hash first, so no call means no hashing. */
  let credentialReads = 0;
  let deps: UserServiceDeps;

  const client = (overrides: Partial<UserServiceDeps> = {}) =>
    createClient(UserService, inMemoryTransport(userRegistration({ ...deps, ...overrides })));
  const stored = async (userId: string) =>
    (await pool.query<{ password_hash: string; token_version: number }>("SELECT password_hash, token_version FROM users WHERE user_id = $1", [userId])).rows[0]!;

  beforeAll(async () => {
    db = await createTestDatabase("user_pw", USER_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const real = new UserRepository(pool);
    repository = Object.assign(Object.create(real) as UserRepository, {
      findCredentials: (username: string) => ((credentialReads += 1), real.findCredentials(username)),
      findCredentialsById: (userId: string) => ((credentialReads += 1), real.findCredentialsById(userId)),
    });
    deps = { repository, jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, tokenTtlSeconds: 600, loginThrottle: new LoginThrottle({ failuresPerUsername: 100, usernameWindowSeconds: 60, attemptsPerAddress: 1000, addressWindowSeconds: 60 }) };
  });
  beforeEach(async () => {
    await pool.query("DELETE FROM users");
    credentialReads = 0;
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  async function signUp(username: string, password = `${username} password`) {
    const users = client();
    const created = await users.createUser({ username, email: `${username}@example.com`, password });
    const session = await users.createSession({ username, password });
    return { userId: created.user!.userId, token: session.accessToken, password };
  }

  it("rehashes a legacy scrypt hash with Argon2id at the next sign-in; both hashes verify and tokens stay valid", async () => {
    const users = client();
    const { userId, token } = await signUp("legacy");
    const legacy = await hashPasswordLegacyScrypt("old-format password");
    expect(legacy).toMatch(/^scrypt\$32768\$8\$1\$/);
    await pool.query("UPDATE users SET password_hash = $2 WHERE user_id = $1", [userId, legacy]);

    const session = await users.createSession({ username: "legacy", password: "old-format password" });
    expect(session.user?.userId).toBe(userId);
    const after = await stored(userId);
    expect(after.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword("old-format password", legacy)).toBe(true);
    expect(await verifyPassword("old-format password", after.password_hash)).toBe(true);
    expect(after.token_version).toBe(0);
    // The next sign-in leaves the new hash alone, and the token from before the rehash still works.
    await users.createSession({ username: "legacy", password: "old-format password" });
    expect((await stored(userId)).password_hash).toBe(after.password_hash);
    expect((await users.updateUser({ userId, email: "still@example.com" }, auth(token))).user?.email).toBe("still@example.com");
    // A wrong password does not rehash.
    await pool.query("UPDATE users SET password_hash = $2 WHERE user_id = $1", [userId, legacy]);
    expect((await failure(users.createSession({ username: "legacy", password: "wrong password" }))).code).toBe(Code.Unauthenticated);
    expect((await stored(userId)).password_hash).toBe(legacy);
  });

  it("needs the current password to change it with the account's own token, naming current_password", async () => {
    const users = client();
    const mia = await signUp("mia");
    const before = await stored(mia.userId);
    const missing = await failure(users.updateUser({ userId: mia.userId, password: "mia's new password" }, auth(mia.token)));
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.rawMessage).toBe("current_password: is required to change the password");
    const wrong = await failure(users.updateUser({ userId: mia.userId, password: "mia's new password", currentPassword: "not mia's password" }, auth(mia.token)));
    expect(wrong.code).toBe(Code.PermissionDenied);
    expect(wrong.rawMessage).toBe("current_password: does not match the account's password");
    // A bad new password is refused first, without checking (hashing) the current one.
    credentialReads = 0;
    const short = await failure(users.updateUser({ userId: mia.userId, password: "short", currentPassword: "mia password" }, auth(mia.token)));
    expect(short.rawMessage).toMatch(/^password: /);
    expect(credentialReads).toBe(0);
    expect(await stored(mia.userId)).toEqual(before);
    // The old password still signs in, and the token still works: nothing changed.
    await users.createSession({ username: "mia", password: "mia password" });
    await users.updateUser({ userId: mia.userId, email: "mia@ok.example.com" }, auth(mia.token));
  });

  it("revokes every token issued before a password change, in this service at once; new sign-ins work", async () => {
    const users = client();
    const noah = await signUp("noah");
    const second = await users.createSession({ username: "noah", password: "noah password" });
    const changed = await users.updateUser({ userId: noah.userId, password: "noah's new password", currentPassword: "noah password" }, auth(noah.token));
    expect(changed.user?.userId).toBe(noah.userId);
    expect((await stored(noah.userId)).token_version).toBe(1);

    for (const old of [noah.token, second.accessToken]) {
      const refused = await failure(users.updateUser({ userId: noah.userId, email: "x@example.com" }, auth(old)));
      expect(refused.code).toBe(Code.Unauthenticated);
      expect(refused.rawMessage).toBe("access token revoked: sign in again");
    }
    expect((await failure(users.createSession({ username: "noah", password: "noah password" }))).code).toBe(Code.Unauthenticated);
    // Issued in the same second as the change, but after it: valid (the version, not iat, decides).
    const fresh = await users.createSession({ username: "noah", password: "noah's new password" });
    expect(decodeJwt(fresh.accessToken).ver).toBe(1);
    expect((await users.updateUser({ userId: noah.userId, email: "noah@new.example.com" }, auth(fresh.accessToken))).user?.email).toBe("noah@new.example.com");
    // An email change does not revoke anything.
    expect((await stored(noah.userId)).token_version).toBe(1);
  });

  it("lets the service token reset a password without the current one (an operator action), which revokes too", async () => {
    const users = client();
    const olga = await signUp("olga");
    await users.updateUser({ userId: olga.userId, password: "reset by support" }, auth(TEST_SERVICE_TOKEN));
    expect((await failure(users.updateUser({ userId: olga.userId, email: "o@example.com" }, auth(olga.token)))).code).toBe(Code.Unauthenticated);
    expect((await users.createSession({ username: "olga", password: "reset by support" })).user?.userId).toBe(olga.userId);
  });

  it("GetTokenState gives the token version to the service token only", async () => {
    const users = client();
    const pia = await signUp("pia");
    expect((await users.getTokenState({ userId: pia.userId }, auth(TEST_SERVICE_TOKEN))).tokenVersion).toBe(0);
    await users.updateUser({ userId: pia.userId, password: "pia's second password", currentPassword: "pia password" }, auth(pia.token));
    expect((await users.getTokenState({ userId: pia.userId }, auth(TEST_SERVICE_TOKEN))).tokenVersion).toBe(1);
    expect((await failure(users.getTokenState({ userId: pia.userId }))).code).toBe(Code.Unauthenticated);
    const fresh = await users.createSession({ username: "pia", password: "pia's second password" });
    expect((await failure(users.getTokenState({ userId: pia.userId }, auth(fresh.accessToken)))).code).toBe(Code.PermissionDenied);
    expect((await failure(users.getTokenState({ userId: "nobody" }, auth(TEST_SERVICE_TOKEN)))).code).toBe(Code.NotFound);
    expect((await failure(users.getTokenState({ userId: "" }, auth(TEST_SERVICE_TOKEN)))).rawMessage).toBe("user_id: is required");
  });

  it("throttles sign-in per username before reading or hashing anything, even for the right password", async () => {
    const users = client({ loginThrottle: new LoginThrottle({ failuresPerUsername: 3, usernameWindowSeconds: 900, attemptsPerAddress: 1000, addressWindowSeconds: 60 }) });
    await signUp("quinn");
    credentialReads = 0;
    for (let i = 0; i < 3; i++) {
      expect((await failure(users.createSession({ username: "quinn", password: `guess number ${i}` }))).code).toBe(Code.Unauthenticated);
    }
    expect(credentialReads).toBe(3);
    for (const password of ["guess number 4", "quinn password"]) {
      const refused = await failure(users.createSession({ username: "QUINN", password }));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.rawMessage).toMatch(/^too many sign-in attempts for this username: retry after \d+ seconds$/);
      expect(Number(refused.metadata.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(credentialReads).toBe(3);
    // Guessing the current password of a change counts against the same username.
    const other = await client().createSession({ username: "quinn", password: "quinn password" });
    const viaChange = await failure(users.updateUser({ userId: other.user!.userId, password: "a new password!", currentPassword: "quinn password" }, auth(other.accessToken)));
    expect(viaChange.code).toBe(Code.ResourceExhausted);
  });
});
