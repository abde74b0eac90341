import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { bearer, rest, testMesh, type RestResponse } from "../support/mesh.js";

// Passwords through the public edge (issue 9, item 5). Before: a password change needed only the
// account's token (no current password) and left every token issued before it valid; POST
// /v1/sessions had no throttling (each attempt cost a 32 MiB scrypt hash, so guessing and CPU burning
// were free). Now: the change needs current_password and revokes older tokens (at once in the
// UserService, within the 5 s revocation cache elsewhere), and sign-in answers 429 with retry-after
// after 5 failures per username or 50 attempts per client address.

/** How long the engagement and recommendation services may keep accepting a revoked token, in ms (DEFAULT_REVOCATION_CACHE_TTL_MS). */
const REVOCATION_DELAY_MS = 5_000;

/** REST through Envoy from a chosen loopback address (all of 127.0.0.0/8 is local on Linux), so each throttle test has its own client address. */
function restFrom<T = Record<string, unknown>>(localAddress: string, method: "POST", path: string, body: unknown, headers: Record<string, string> = {}): Promise<RestResponse<T>> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${testMesh().restUrl}${path}`,
      { method, localAddress, agent: false, timeout: 15_000, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) if (typeof value === "string") responseHeaders.set(key, value);
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, headers: responseHeaders });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

async function signUp(prefix: string, password: string): Promise<{ userId: string; username: string }> {
  const username = `${prefix}_${randomUUID().slice(0, 8)}`;
  const created = await rest<{ user: { userId: string } }>("POST", "/v1/users", { username, email: `${username}@example.com`, password });
  expect(created.status).toBe(200);
  return { userId: created.body.user.userId, username };
}

async function signIn(username: string, password: string): Promise<string> {
  const session = await rest<{ accessToken: string }>("POST", "/v1/sessions", { username, password });
  expect(session.status).toBe(200);
  return session.body.accessToken;
}

/** Polls `call` until it answers `status`, for at most `withinMs`; returns how long that took. */
async function untilStatus(call: () => Promise<{ status: number }>, status: number, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await call();
    if (res.status === status) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`still ${res.status} after ${withinMs} ms, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Obscure MovieLens movies that no other suite uses, one event each, so these tests never make a
// product trend (rest-recommendations.test.ts checks exact trending scores of 193583 and 193609).
const PRODUCTS = ["185135", "185435", "185473", "185585"];
const click = (userId: string, n: number) => ({ userId, productId: PRODUCTS[n % PRODUCTS.length]!, type: "EVENT_TYPE_CLICK", eventId: `pw-${randomUUID()}` });

describe("changing a password over REST", () => {
  it("needs the current password, then revokes the old tokens in every service that checks them", async () => {
    const oldPassword = "the first password";
    const newPassword = "the second password";
    const { userId, username } = await signUp("pwchange", oldPassword);
    const oldToken = await signIn(username, oldPassword);
    // The old token works everywhere before the change (and the engagement and recommendation
    // services now hold its version in their revocation caches).
    expect((await rest("POST", "/v1/events", click(userId, 0), bearer(oldToken))).status).toBe(200);
    expect((await rest("GET", `/v1/users/${userId}/recommendations?limit=3`, undefined, bearer(oldToken))).status).toBe(200);
    expect((await rest("PATCH", `/v1/users/${userId}`, { email: `${username}@changed.example.com` }, bearer(oldToken))).status).toBe(200);

    const missing = await rest<{ code: number; message: string }>("PATCH", `/v1/users/${userId}`, { password: newPassword }, bearer(oldToken));
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("current_password: is required to change the password");
    const wrong = await rest<{ code: number; message: string }>("PATCH", `/v1/users/${userId}`, { password: newPassword, currentPassword: "not the password" }, bearer(oldToken));
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toBe("current_password: does not match the account's password");
    // Neither attempt changed anything: the old password still signs in.
    await signIn(username, oldPassword);

    const changed = await rest("PATCH", `/v1/users/${userId}`, { password: newPassword, currentPassword: oldPassword }, bearer(oldToken));
    expect(changed.status).toBe(200);

    // The UserService refuses the old token at once.
    const patch = await rest<{ message: string }>("PATCH", `/v1/users/${userId}`, { email: `${username}@stolen.example.com` }, bearer(oldToken));
    expect(patch.status).toBe(401);
    expect(patch.body.message).toBe("access token revoked: sign in again");
    // The engagement and recommendation services within the revocation delay (plus a margin for the calls themselves).
    const eventsDelay = await untilStatus(() => rest("POST", "/v1/events", click(userId, 1), bearer(oldToken)), 401, REVOCATION_DELAY_MS + 2_000);
    const recsDelay = await untilStatus(() => rest("GET", `/v1/users/${userId}/recommendations?limit=3`, undefined, bearer(oldToken)), 401, REVOCATION_DELAY_MS + 2_000);
    expect(eventsDelay).toBeLessThanOrEqual(REVOCATION_DELAY_MS + 2_000);
    expect(recsDelay).toBeLessThanOrEqual(REVOCATION_DELAY_MS + 2_000);
    // And it stays refused.
    expect((await rest("POST", "/v1/events", click(userId, 2), bearer(oldToken))).status).toBe(401);

    // The old password is gone, the new one signs in, and its token works everywhere at once.
    expect((await rest("POST", "/v1/sessions", { username, password: oldPassword })).status).toBe(401);
    const newToken = await signIn(username, newPassword);
    expect((await rest("POST", "/v1/events", click(userId, 3), bearer(newToken))).status).toBe(200);
    expect((await rest("GET", `/v1/users/${userId}/recommendations?limit=3`, undefined, bearer(newToken))).status).toBe(200);
    expect((await rest("PATCH", `/v1/users/${userId}`, { email: `${username}@final.example.com` }, bearer(newToken))).status).toBe(200);
  });

  it("lets the service token reset a password without the current one (operators), revoking the user's tokens", async () => {
    const { userId, username } = await signUp("pwreset", "the user's password");
    const token = await signIn(username, "the user's password");
    expect((await rest("PATCH", `/v1/users/${userId}`, { password: "set by an operator" }, bearer())).status).toBe(200);
    expect((await rest("PATCH", `/v1/users/${userId}`, { email: "x@example.com" }, bearer(token))).status).toBe(401);
    await signIn(username, "set by an operator");
  });
});

describe("sign-in throttling over REST", () => {
  it("answers 429 with retry-after after 5 failed passwords for a username, even to the right password and from another address", async () => {
    const password = "the right password";
    const { username } = await signUp("throttled", password);
    for (let i = 0; i < 5; i++) {
      const res = await restFrom("127.0.0.41", "POST", "/v1/sessions", { username, password: `wrong guess ${i}` });
      expect(res.status, `guess ${i}`).toBe(401);
    }
    for (const [address, attempt] of [["127.0.0.41", password], ["127.0.0.42", password], ["127.0.0.41", "wrong guess 6"]] as const) {
      const refused = await restFrom<{ code: number; message: string }>(address, "POST", "/v1/sessions", { username: username.toUpperCase(), password: attempt });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe(8);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(refused.body.message).toBe(`too many sign-in attempts for this username: retry after ${retryAfter} seconds`);
    }
    // Other usernames are not affected.
    const other = await signUp("unthrottled", password);
    expect((await restFrom("127.0.0.41", "POST", "/v1/sessions", { username: other.username, password })).status).toBe(200);
  });

  it("answers 429 after 50 attempts a minute from one client address, which x-forwarded-for cannot change", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      statuses.push((await restFrom("127.0.0.43", "POST", "/v1/sessions", { username: `nobody_${randomUUID().slice(0, 8)}`, password: "a guess at it" })).status);
    }
    expect(statuses.every((s) => s === 401), statuses.join(",")).toBe(true);
    const refused = await restFrom<{ message: string }>("127.0.0.43", "POST", "/v1/sessions", { username: "nobody_else", password: "a guess at it" });
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/^too many sign-in attempts from this address: retry after \d+ seconds$/);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const spoofed = await restFrom("127.0.0.43", "POST", "/v1/sessions", { username: "nobody_else", password: "a guess at it" }, { "x-forwarded-for": "198.51.100.7", "x-envoy-external-address": "198.51.100.8" });
    expect(spoofed.status).toBe(429);
    // Another address has its own count.
    expect((await restFrom("127.0.0.44", "POST", "/v1/sessions", { username: "nobody_else", password: "a guess at it" })).status).toBe(401);
  });
});
