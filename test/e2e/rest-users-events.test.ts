import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearer, rest } from "../support/mesh.js";

// Accounts and engagement events end to end through Envoy: UserService, EngagementService and the
// ProductService look-ups behind RecordEvent, on the real PostgreSQL and Kafka. Events are posted
// with the service token (trusted backend); access control itself is covered in rest-access-control.test.ts.

describe("users and sessions over REST", () => {
  const username = `e2e_${randomUUID().slice(0, 8)}`;

  it("creates a user, refuses a duplicate username with 409 and never returns the password hash", async () => {
    const created = await rest<{ user: { userId: string; username: string } }>("POST", "/v1/users", {
      username,
      email: `${username}@example.com`,
      password: "correct horse battery",
    });
    expect(created.status).toBe(200);
    expect(created.body.user.username).toBe(username);
    expect(JSON.stringify(created.body)).not.toMatch(/hash|scrypt|correct horse/i);

    const duplicate = await rest<{ message: string }>("POST", "/v1/users", {
      username: username.toUpperCase(),
      email: "other@example.com",
      password: "another password",
    });
    expect(duplicate.status).toBe(409);

    const fetched = await rest<{ user: Record<string, unknown> }>("GET", `/v1/users/${created.body.user.userId}`, undefined, bearer());
    expect(fetched.status).toBe(200);
    expect(Object.keys(fetched.body.user).sort()).toEqual(["createTime", "email", "userId", "username"]);
  });

  it("issues a JWT for the right password and 401 for a wrong one", async () => {
    const ok = await rest<{ accessToken: string; user: { username: string } }>("POST", "/v1/sessions", {
      username,
      password: "correct horse battery",
    });
    expect(ok.status).toBe(200);
    expect(ok.body.accessToken.split(".")).toHaveLength(3);
    const wrong = await rest<{ message: string }>("POST", "/v1/sessions", { username, password: "wrong password" });
    expect(wrong.status).toBe(401);
    const unknown = await rest<{ message: string }>("POST", "/v1/sessions", { username: "nobody_here", password: "wrong password" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  it("rejects bad fields with 400 naming the field", async () => {
    const res = await rest<{ message: string }>("POST", "/v1/users", { username: "x", email: "a@b.co", password: "long enough pw" });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("username");
  });
});

describe("events over REST", () => {
  it("records an event, is idempotent on eventId and lists the user's history newest first", async () => {
    const eventId = `e2e-${randomUUID()}`;
    const body = { userId: "7", productId: "6", type: "EVENT_TYPE_LIKE", eventId };
    const first = await rest<{ event: { eventId: string; type: string }; duplicate: boolean }>("POST", "/v1/events", body, bearer());
    expect(first.status).toBe(200);
    expect(first.body.event.eventId).toBe(eventId);
    expect(first.body.duplicate).toBe(false);
    const again = await rest<{ duplicate: boolean }>("POST", "/v1/events", body, bearer());
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);

    const history = await rest<{ events: Array<{ eventId: string; type: string }> }>(
      "GET",
      "/v1/users/7/events?pageSize=5",
      undefined,
      bearer(),
    );
    expect(history.status).toBe(200);
    expect(history.body.events[0]?.eventId).toBe(eventId);
    expect(history.body.events.filter((e) => e.eventId === eventId)).toHaveLength(1);

    const likes = await rest<{ events: Array<{ type: string }> }>("GET", "/v1/users/7/events?type=EVENT_TYPE_LIKE", undefined, bearer());
    expect(likes.body.events.every((e) => e.type === "EVENT_TYPE_LIKE")).toBe(true);
  });

  it("answers 404 for an unknown user or product and 400 for a bad type or rating", async () => {
    const unknownUser = await rest<{ message: string }>("POST", "/v1/events", { userId: "no-such-user", productId: "1", type: "EVENT_TYPE_CLICK" }, bearer());
    expect(unknownUser.status).toBe(404);
    const unknownProduct = await rest<{ message: string }>("POST", "/v1/events", { userId: "1", productId: "99999999", type: "EVENT_TYPE_CLICK" }, bearer());
    expect(unknownProduct.status).toBe(404);

    const badType = await rest<{ message: string }>("POST", "/v1/events", { userId: "1", productId: "1", type: "EVENT_TYPE_PURCHASE" }, bearer());
    expect(badType.status).toBe(400);
    expect(badType.body.message).toContain("type");
    const unspecified = await rest<{ message: string }>("POST", "/v1/events", { userId: "1", productId: "1" }, bearer());
    expect(unspecified.status).toBe(400);
    expect(unspecified.body.message).toContain("type");

    const badRating = await rest<{ message: string }>("POST", "/v1/events", { userId: "1", productId: "1", type: "EVENT_TYPE_RATE", value: 7 }, bearer());
    expect(badRating.status).toBe(400);
    expect(badRating.body.message).toContain("value");
  });

  it("writes nothing for a rejected event", async () => {
    const eventId = `e2e-rejected-${randomUUID()}`;
    const rejected = await rest("POST", "/v1/events", { userId: "1", productId: "1", type: "EVENT_TYPE_RATE", value: 9, eventId }, bearer());
    expect(rejected.status).toBe(400);
    const accepted = await rest<{ duplicate: boolean }>("POST", "/v1/events", { userId: "1", productId: "1", type: "EVENT_TYPE_CLICK", eventId }, bearer());
    expect(accepted.status).toBe(200);
    expect(accepted.body.duplicate).toBe(false);
  });
});
