import { Code, ConnectError } from "@connectrpc/connect";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { hmacKey, issueAccessToken, TOKEN_VERSION_CLAIM, verifyAccessToken } from "./access-token.js";
import { TEST_JWT_SECRET } from "../../../test/support/secrets.js";

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(err)}`);
  return err;
}

describe("access tokens", () => {
  it("issues an HS256 JWT with sub, iss, iat, exp and jti that verifies", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const issued = await issueAccessToken("user-1", TEST_JWT_SECRET, 3600, now);
    expect(issued.expireTime.toISOString()).toBe("2030-01-01T01:00:00.000Z");
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: "HS256", typ: "JWT" });
    const claims = decodeJwt(issued.token);
    expect(claims).toMatchObject({ sub: "user-1", iss: "recsys", iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 3600, ver: 0 });
    expect(typeof claims.jti).toBe("string");
    const verified = await verifyAccessToken(issued.token, TEST_JWT_SECRET, new Date("2030-01-01T00:30:00Z"));
    expect(verified).toEqual({ userId: "user-1", expireTime: issued.expireTime, tokenVersion: 0 });
  });

  it("carries the account's token version in the ver claim; a token without it has version 0", async () => {
    expect(TOKEN_VERSION_CLAIM).toBe("ver");
    const issued = await issueAccessToken("user-1", TEST_JWT_SECRET, 600, new Date(), 7);
    expect(decodeJwt(issued.token).ver).toBe(7);
    expect((await verifyAccessToken(issued.token, TEST_JWT_SECRET)).tokenVersion).toBe(7);
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setSubject("user-1").setIssuer("recsys").setExpirationTime("10m").sign(hmacKey(TEST_JWT_SECRET));
    expect((await verifyAccessToken(await sign({}), TEST_JWT_SECRET)).tokenVersion).toBe(0);
    for (const ver of [-1, 1.5, "3", 2 ** 31]) {
      expect((await rejection(verifyAccessToken(await sign({ ver }), TEST_JWT_SECRET))).rawMessage, String(ver)).toBe("invalid access token");
    }
    await expect(issueAccessToken("u", TEST_JWT_SECRET, 60, new Date(), -1)).rejects.toThrow(/^tokenVersion: /);
  });

  it("rejects expired, foreign, tampered and unsigned tokens as UNAUTHENTICATED", async () => {
    const issued = await issueAccessToken("user-1", TEST_JWT_SECRET, 60, new Date("2030-01-01T00:00:00Z"));
    const expired = await rejection(verifyAccessToken(issued.token, TEST_JWT_SECRET, new Date("2030-01-01T00:01:01Z")));
    expect(expired.code).toBe(Code.Unauthenticated);
    expect(expired.rawMessage).toBe("access token expired");

    const fresh = await issueAccessToken("user-1", TEST_JWT_SECRET, 60);
    const wrongKey = await rejection(verifyAccessToken(fresh.token, `${TEST_JWT_SECRET}-other`));
    expect(wrongKey.rawMessage).toBe("invalid access token");

    const [header, payload, signature] = fresh.token.split(".");
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(fresh.token), sub: "admin" })).toString("base64url");
    expect((await rejection(verifyAccessToken(`${header}.${forged}.${signature}`, TEST_JWT_SECRET))).code).toBe(Code.Unauthenticated);

    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    expect((await rejection(verifyAccessToken(`${none}.${payload}.`, TEST_JWT_SECRET))).code).toBe(Code.Unauthenticated);
    expect((await rejection(verifyAccessToken("not a jwt", TEST_JWT_SECRET))).code).toBe(Code.Unauthenticated);
  });

  it("refuses a secret shorter than 32 characters", async () => {
    await expect(issueAccessToken("u", "short", 60)).rejects.toThrow(/at least 32 characters/);
    await expect(verifyAccessToken("x.y.z", "short")).rejects.toThrow(/at least 32 characters/);
  });
});
