import { Code, ConnectError } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AccessControl, accessControlConfigShape, DEV_SERVICE_TOKEN } from "./access-control.js";
import { DEV_JWT_SECRET, hmacKey } from "./access-token.js";
import { loadConfig } from "./config.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";


async function userToken(sub: string, options: { secret?: string; exp?: number; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(options.iss ?? "recsys")
    .setIssuedAt(now)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(hmacKey(options.secret ?? TEST_JWT_SECRET));
}

function headers(authorization?: string): Headers {
  const h = new Headers();
  if (authorization !== undefined) h.set("authorization", authorization);
  return h;
}

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(err)}`);
  return err;
}

describe("AccessControl", () => {
  const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN });

  it("recognises the service token and user access tokens", async () => {
    expect(await access.authenticate(headers(`Bearer ${TEST_SERVICE_TOKEN}`))).toEqual({ kind: "service" });
    expect(await access.authenticate(headers(`bearer   ${TEST_SERVICE_TOKEN}`))).toEqual({ kind: "service" });
    expect(await access.authenticate(headers(`Bearer ${await userToken("42")}`))).toEqual({ kind: "user", userId: "42" });
  });

  it("answers UNAUTHENTICATED for missing, malformed, foreign, expired and forged credentials", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined, string][] = [
      ["no header", undefined, "missing access token: send authorization: Bearer <token>"],
      ["empty header", "", "missing access token: send authorization: Bearer <token>"],
      ["Basic scheme", "Basic dXNlcjpwYXNz", "authorization: must be 'Bearer <token>'"],
      ["Bearer without a token", "Bearer", "authorization: must be 'Bearer <token>'"],
      ["two tokens", `Bearer ${TEST_SERVICE_TOKEN} extra`, "authorization: must be 'Bearer <token>'"],
      ["a wrong service token", `Bearer ${TEST_SERVICE_TOKEN}x`, "invalid access token"],
      ["a prefix of the service token", `Bearer ${TEST_SERVICE_TOKEN.slice(0, 20)}`, "invalid access token"],
      ["another secret's JWT", `Bearer ${await userToken("1", { secret: `${TEST_JWT_SECRET}-other` })}`, "invalid access token"],
      ["another issuer's JWT", `Bearer ${await userToken("1", { iss: "evil" })}`, "invalid access token"],
      ["an expired JWT", `Bearer ${await userToken("1", { exp: now - 5 })}`, "access token expired"],
      ["a huge header", `Bearer ${"a".repeat(20_000)}`, "invalid access token"],
    ];
    for (const [name, value, message] of cases) {
      const err = await rejection(access.authenticate(headers(value)));
      expect(err.code, name).toBe(Code.Unauthenticated);
      expect(err.rawMessage, name).toBe(message);
    }
  });

  it("lets a user act only for themself, and the service for anyone", async () => {
    const token = `Bearer ${await userToken("7")}`;
    expect(await access.requireUser(headers(token), "7")).toEqual({ kind: "user", userId: "7" });
    const other = await rejection(access.requireUser(headers(token), "8"));
    expect(other.code).toBe(Code.PermissionDenied);
    expect(other.rawMessage).toBe("user_id: the access token is for another user");
    const named = await rejection(access.requireUser(headers(token), "8", "events[3].user_id"));
    expect(named.rawMessage).toBe("events[3].user_id: the access token is for another user");
    expect(await access.requireUser(headers(`Bearer ${TEST_SERVICE_TOKEN}`), "anyone")).toEqual({ kind: "service" });
  });

  it("guards reads by default, opens them only with AUTH_REQUIRED_FOR_READS=false, and keeps internal RPCs for the service", async () => {
    expect((await rejection(access.requireUserForRead(headers(), "7"))).code).toBe(Code.Unauthenticated);
    await access.requireUserForRead(headers(`Bearer ${await userToken("7")}`), "7");
    expect((await rejection(access.requireUserForRead(headers(`Bearer ${await userToken("7")}`), "8"))).code).toBe(Code.PermissionDenied);
    const open = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN, requireAuthForReads: false });
    await open.requireUserForRead(headers(), "7");
    for (const control of [access, open]) {
      expect((await rejection(control.requireService(headers()))).code).toBe(Code.Unauthenticated);
      const asUser = await rejection(control.requireService(headers(`Bearer ${await userToken("7")}`)));
      expect(asUser.code).toBe(Code.PermissionDenied);
      expect(asUser.rawMessage).toBe("this RPC is for internal callers (service token)");
      await control.requireService(headers(`Bearer ${TEST_SERVICE_TOKEN}`));
    }
  });

  it("refuses short secrets, and its config defaults to the development values", () => {
    expect(() => new AccessControl({ jwtSecret: "short", serviceToken: TEST_SERVICE_TOKEN })).toThrow(/at least 32/);
    expect(() => new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: "short" })).toThrow(/at least 32/);
    const schema = z.object(accessControlConfigShape);
    expect(loadConfig(schema, {})).toEqual({ JWT_SECRET: DEV_JWT_SECRET, SERVICE_TOKEN: DEV_SERVICE_TOKEN, AUTH_REQUIRED_FOR_READS: true });
    expect(loadConfig(schema, { AUTH_REQUIRED_FOR_READS: "false" }).AUTH_REQUIRED_FOR_READS).toBe(false);
    expect(() => loadConfig(schema, { SERVICE_TOKEN: "x" })).toThrow(/SERVICE_TOKEN: must be at least 32/);
    expect(() => loadConfig(schema, { AUTH_REQUIRED_FOR_READS: "yes" })).toThrow(/AUTH_REQUIRED_FOR_READS/);
  });
});
