import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, rest, signUp, type TestAccount } from "../support/mesh.js";

// Access control end to end through Envoy, which forwards the `authorization` header to the
// services as gRPC metadata: writes that act for a user need that user's access token (from
// POST /v1/sessions) or the service token; another user's token is 403, none or a bad one 401.

const newAccount = (): Promise<TestAccount> => signUp(`acl_${randomUUID().slice(0, 8)}`);

describe("access control over REST", () => {
  let alice: TestAccount;
  let bob: TestAccount;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newAccount(), newAccount()]);
  });

  // Obscure MovieLens movies, a couple of events each, so these tests never make a product trend
  // (rest-recommendations.test.ts checks which products top the trending list).
  const PRODUCTS = ["193565", "193567", "193571", "193573", "193579", "193581"];
  let sent = 0;
  const event = (userId: string, eventId = `acl-${randomUUID()}`) => ({
    userId,
    productId: PRODUCTS[sent++ % PRODUCTS.length]!,
    type: "EVENT_TYPE_CLICK",
    eventId,
  });

  it("POST /v1/events: the user's own token is accepted", async () => {
    const res = await rest<{ event: { userId: string }; duplicate: boolean }>("POST", "/v1/events", event(alice.userId), bearer(alice.token));
    expect(res.status).toBe(200);
    expect(res.body.event.userId).toBe(alice.userId);
  });

  it("POST /v1/events: another user's token is 403 and writes nothing", async () => {
    const body = event(bob.userId);
    const res = await rest<{ code: number; message: string }>("POST", "/v1/events", body, bearer(alice.token));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 7, message: "user_id: the access token is for another user", details: [] });
    // The same event_id is still free: the rejected call stored nothing.
    const later = await rest<{ duplicate: boolean }>("POST", "/v1/events", body, bearer(bob.token));
    expect(later.status).toBe(200);
    expect(later.body.duplicate).toBe(false);
  });

  it("POST /v1/events: no token or a bad one is 401", async () => {
    const none = await rest<{ code: number; message: string }>("POST", "/v1/events", event(alice.userId));
    expect(none.status).toBe(401);
    expect(none.body.code).toBe(16);
    expect(none.body.message).toMatch(/missing access token/);
    for (const header of [`Bearer not.a.jwt`, `Bearer ${alice.token}x`, `Basic ${Buffer.from("a:b").toString("base64")}`, alice.token]) {
      const bad = await rest<{ code: number }>("POST", "/v1/events", event(alice.userId), { authorization: header });
      expect(bad.status, header).toBe(401);
      expect(bad.body.code).toBe(16);
    }
  });

  it("POST /v1/events: the service token may act for any user", async () => {
    for (const account of [alice, bob]) {
      const res = await rest("POST", "/v1/events", event(account.userId), bearer());
      expect(res.status).toBe(200);
    }
  });

  it("POST /v1/events:batch: own events with own token, 403 when one event is another user's, 401 without a token", async () => {
    const ok = await rest<{ acceptedCount: number; rejectedCount: number; results: Array<{ index: number; error?: { code: number; message: string } }> }>(
      "POST",
      "/v1/events:batch",
      { events: [event(alice.userId), { ...event(alice.userId), type: "EVENT_TYPE_RATE", value: 11 }] },
      bearer(alice.token),
    );
    expect(ok.status).toBe(200);
    expect(ok.body.acceptedCount).toBe(1);
    expect(ok.body.rejectedCount).toBe(1);
    expect(ok.body.results[1]?.index).toBe(1);
    expect(ok.body.results[1]?.error?.code).toBe(3);
    expect(ok.body.results[1]?.error?.message).toMatch(/^value: /);

    const mixed = await rest<{ message: string }>("POST", "/v1/events:batch", { events: [event(alice.userId), event(bob.userId)] }, bearer(alice.token));
    expect(mixed.status).toBe(403);
    expect(mixed.body.message).toBe("events[1].user_id: the access token is for another user");
    expect((await rest("POST", "/v1/events:batch", { events: [event(alice.userId)] })).status).toBe(401);
    expect((await rest("POST", "/v1/events:batch", { events: [event(alice.userId), event(bob.userId)] }, bearer())).status).toBe(200);
  });

  it("PATCH /v1/users/{userId}: only the account itself (or the service token) may change it", async () => {
    const own = await rest<{ user: { email: string } }>("PATCH", `/v1/users/${alice.userId}`, { email: "alice@new.example.com" }, bearer(alice.token));
    expect(own.status).toBe(200);
    expect(own.body.user.email).toBe("alice@new.example.com");
    const other = await rest<{ code: number }>("PATCH", `/v1/users/${alice.userId}`, { email: "bob-was-here@example.com" }, bearer(bob.token));
    expect(other.status).toBe(403);
    expect(other.body.code).toBe(7);
    expect((await rest("PATCH", `/v1/users/${alice.userId}`, { email: "anon@example.com" })).status).toBe(401);
    expect((await rest("PATCH", `/v1/users/${alice.userId}`, { email: "anon@example.com" }, bearer("x.y.z"))).status).toBe(401);
    const invalid = await rest<{ message: string }>("PATCH", `/v1/users/${alice.userId}`, { password: "short" }, bearer(alice.token));
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toMatch(/^password: /);
    expect((await rest<{ user: { email: string } }>("GET", `/v1/users/${alice.userId}`, undefined, bearer(alice.token))).body.user.email).toBe(
      "alice@new.example.com",
    );

    const changed = await rest("PATCH", `/v1/users/${bob.userId}`, { password: "bob's new password" }, bearer());
    expect(changed.status).toBe(200);
    expect((await rest("POST", "/v1/sessions", { username: bob.username, password: "a long enough password" })).status).toBe(401);
    // The reset revoked bob's tokens (issue 9): the tests after this one use his new session's.
    const again = await rest<{ accessToken: string }>("POST", "/v1/sessions", { username: bob.username, password: "bob's new password" });
    expect(again.status).toBe(200);
    expect((await rest("PATCH", `/v1/users/${bob.userId}`, { email: "bob@old-token.example.com" }, bearer(bob.token))).status).toBe(401);
    bob = { ...bob, token: again.body.accessToken };
  });

  it("reads of a user's recommendations, events and account need that user's token or the service token", async () => {
    // Before, all three answered anyone (GET /v1/users/{id} with the email, /events with the full history).
    for (const path of [`/v1/users/${alice.userId}/recommendations?limit=3`, `/v1/users/${alice.userId}/events`, `/v1/users/${alice.userId}`]) {
      expect((await rest("GET", path)).status, `${path} anonymous`).toBe(401);
      expect((await rest("GET", path, undefined, bearer(bob.token))).status, `${path} as bob`).toBe(403);
      expect((await rest("GET", path, undefined, bearer(alice.token))).status, `${path} as alice`).toBe(200);
      expect((await rest("GET", path, undefined, bearer())).status, `${path} as the service`).toBe(200);
    }
    const anonymous = await rest<{ message?: string; user?: unknown }>("GET", `/v1/users/${alice.userId}`);
    expect(JSON.stringify(anonymous.body)).not.toContain("alice@");
  });
});
