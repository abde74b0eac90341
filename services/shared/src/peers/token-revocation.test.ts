import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { failure } from "../../../../test/support/failure.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../../test/support/secrets.js";
import { AccessControl } from "../access-control.js";
import { issueAccessToken, type AccessTokenClaims } from "../access-token.js";
import { UnavailableError } from "../domain-errors.js";
import { DEFAULT_REVOCATION_CACHE_TTL_MS, GrpcTokenRevocation, type GrpcTokenRevocationOptions } from "./token-revocation.js";

/** A UserService whose accounts have the given token versions, an unreachable "down" and a failing "bug". */
function revocation(versions: Map<string, number>, options: GrpcTokenRevocationOptions = {}) {
  const calls: string[] = [];
  const transport = createRouterTransport((router) => {
    router.service(UserService, {
      async getTokenState(req) {
        calls.push(req.userId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (req.userId === "down") throw new ConnectError("no route", Code.Unavailable);
        if (req.userId === "bug") throw new ConnectError("boom", Code.PermissionDenied);
        const tokenVersion = versions.get(req.userId);
        if (tokenVersion === undefined) throw new ConnectError(`user "${req.userId}" not found`, Code.NotFound);
        return { tokenVersion };
      },
    });
  });
  return { check: new GrpcTokenRevocation(createClient(UserService, transport), options), calls };
}

const claims = (userId: string, tokenVersion: number): AccessTokenClaims => ({ userId, tokenVersion, expireTime: new Date(Date.now() + 60_000) });

describe("GrpcTokenRevocation", () => {
  it("revokes tokens below the account's version and tokens of unknown accounts", async () => {
    const { check } = revocation(new Map([["u1", 2]]));
    expect(await check.isRevoked(claims("u1", 1))).toBe(true);
    expect(await check.isRevoked(claims("u1", 2))).toBe(false);
    expect(await check.isRevoked(claims("u1", 3))).toBe(false);
    expect(await check.isRevoked(claims("ghost", 0))).toBe(true);
  });

  it("caches versions for the revocation delay (5 s by default), then asks again", async () => {
    expect(DEFAULT_REVOCATION_CACHE_TTL_MS).toBe(5_000);
    let now = 1_000_000;
    const versions = new Map([["u1", 0]]);
    const { check, calls } = revocation(versions, { now: () => now });
    expect(await check.isRevoked(claims("u1", 0))).toBe(false);
    versions.set("u1", 1); // the password changed
    now += 4_000;
    expect(await check.isRevoked(claims("u1", 0))).toBe(false); // within the delay: still the cached version
    expect(calls).toEqual(["u1"]);
    now += 1_001;
    expect(await check.isRevoked(claims("u1", 0))).toBe(true);
    expect(calls).toEqual(["u1", "u1"]);
  });

  it("checks a token newer than the cached version afresh, so signing in again works at once", async () => {
    let now = 0;
    const versions = new Map([["u1", 0]]);
    const { check, calls } = revocation(versions, { now: () => now });
    await check.isRevoked(claims("u1", 0));
    versions.set("u1", 1);
    now += 10;
    expect(await check.isRevoked(claims("u1", 1))).toBe(false);
    expect(await check.isRevoked(claims("u1", 0))).toBe(true); // the refreshed version is cached
    expect(calls).toEqual(["u1", "u1"]);
  });

  it("shares one call between concurrent checks of a user; cacheTtlMs 0 asks every time", async () => {
    const { check, calls } = revocation(new Map([["u1", 0]]));
    await Promise.all([check.isRevoked(claims("u1", 0)), check.isRevoked(claims("u1", 0)), check.isRevoked(claims("u1", 0))]);
    expect(calls).toEqual(["u1"]);
    const uncached = revocation(new Map([["u1", 0]]), { cacheTtlMs: 0 });
    await uncached.check.isRevoked(claims("u1", 0));
    await uncached.check.isRevoked(claims("u1", 0));
    expect(uncached.calls).toEqual(["u1", "u1"]);
  });

  it("raises UnavailableError for an outage and a plain Error naming the user service otherwise", async () => {
    const { check } = revocation(new Map());
    expect(await check.isRevoked(claims("down", 0)).catch((e: unknown) => e)).toBeInstanceOf(UnavailableError);
    expect(await check.isRevoked(claims("bug", 0)).catch((e: unknown) => e)).toMatchObject({ message: "user service failed: PermissionDenied: boom" });
  });

  it("as AccessControl's isRevoked option, refuses revoked user tokens and leaves the service token alone", async () => {
    const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, isRevoked: revocation(new Map([["u1", 1]])).check.isRevoked });
    const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });
    const old = await issueAccessToken("u1", TEST_JWT_SECRET, 600, new Date(), 0);
    const fresh = await issueAccessToken("u1", TEST_JWT_SECRET, 600, new Date(), 1);
    const refused = await failure(access.authenticate(bearer(old.token)));
    expect(refused.code).toBe(Code.Unauthenticated);
    expect(refused.rawMessage).toBe("access token revoked: sign in again");
    expect(await access.authenticate(bearer(fresh.token))).toEqual({ kind: "user", userId: "u1" });
    expect(await access.authenticate(bearer(TEST_SERVICE_TOKEN))).toEqual({ kind: "service" });
  });
});
