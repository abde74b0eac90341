import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, rest, signUp, type TestAccount } from "../support/mesh.js";

// Idempotency keys are scoped to the user: the key is (user_id, event_id). Before, event_id was
// unique across all users, so user B posting user A's event_id got A's event back (A's user id,
// product and type, with duplicate = true) and B's own event was silently dropped.

interface EventJson {
  eventId: string;
  userId: string;
  productId: string;
  type: string;
}

/** Registers a new user and logs in; returns the user id and an access token. */
const newUser = (label: string): Promise<TestAccount> => signUp(`idem_${label}_${randomUUID().slice(0, 8)}`);

/** Every event of a user with the given event_id, read with that user's own token. */
async function eventsWithId(user: { userId: string; token: string }, eventId: string): Promise<EventJson[]> {
  const page = await rest<{ events?: EventJson[] }>("GET", `/v1/users/${user.userId}/events?pageSize=100`, undefined, bearer(user.token));
  expect(page.status).toBe(200);
  return (page.body.events ?? []).filter((e) => e.eventId === eventId);
}

describe("event idempotency keys, through Envoy with the users' own tokens", () => {
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };

  beforeAll(async () => {
    alice = await newUser("a");
    bob = await newUser("b");
  });

  it("gives B its own event when B posts A's event_id, and keeps both in each user's history", async () => {
    const eventId = `shared-${randomUUID()}`;
    const a = await rest<{ event: EventJson; duplicate: boolean }>(
      "POST",
      "/v1/events",
      { userId: alice.userId, productId: "1", type: "EVENT_TYPE_LIKE", eventId },
      bearer(alice.token),
    );
    expect(a.status).toBe(200);
    expect(a.body.duplicate).toBe(false);

    const b = await rest<{ event: EventJson; duplicate: boolean }>(
      "POST",
      "/v1/events",
      { userId: bob.userId, productId: "2", type: "EVENT_TYPE_CLICK", eventId },
      bearer(bob.token),
    );
    expect(b.status).toBe(200);
    // Before: duplicate true, with alice's user id, product 1 and LIKE.
    expect(b.body.duplicate).toBe(false);
    expect(b.body.event).toMatchObject({ userId: bob.userId, productId: "2", type: "EVENT_TYPE_CLICK", eventId });
    expect(JSON.stringify(b.body)).not.toContain(alice.userId);

    // A retry by the same user is still one event, answered with that user's first event.
    const bobRetry = await rest<{ event: EventJson; duplicate: boolean }>(
      "POST",
      "/v1/events",
      { userId: bob.userId, productId: "3", type: "EVENT_TYPE_VIEW", eventId },
      bearer(bob.token),
    );
    expect(bobRetry.body.duplicate).toBe(true);
    expect(bobRetry.body.event).toEqual(b.body.event);
    const aliceRetry = await rest<{ event: EventJson; duplicate: boolean }>(
      "POST",
      "/v1/events",
      { userId: alice.userId, productId: "3", type: "EVENT_TYPE_VIEW", eventId },
      bearer(alice.token),
    );
    expect(aliceRetry.body.duplicate).toBe(true);
    expect(aliceRetry.body.event).toEqual(a.body.event);

    expect((await eventsWithId(alice, eventId)).map((e) => [e.userId, e.productId, e.type])).toEqual([
      [alice.userId, "1", "EVENT_TYPE_LIKE"],
    ]);
    expect((await eventsWithId(bob, eventId)).map((e) => [e.userId, e.productId, e.type])).toEqual([
      [bob.userId, "2", "EVENT_TYPE_CLICK"],
    ]);
  });

  it("answers a batch holding another user's event_ids with the caller's own events only", async () => {
    const taken = `batch-${randomUUID()}`;
    const first = await rest("POST", "/v1/events", { userId: alice.userId, productId: "6", type: "EVENT_TYPE_LIKE", eventId: taken }, bearer(alice.token));
    expect(first.status).toBe(200);

    const fresh = `batch-${randomUUID()}`;
    const batch = await rest<{ results: { index?: number; event?: EventJson; duplicate?: boolean }[]; acceptedCount: number }>(
      "POST",
      "/v1/events:batch",
      {
        events: [
          { userId: bob.userId, productId: "7", type: "EVENT_TYPE_CLICK", eventId: taken },
          { userId: bob.userId, productId: "8", type: "EVENT_TYPE_CLICK", eventId: fresh },
          { userId: bob.userId, productId: "9", type: "EVENT_TYPE_CLICK", eventId: taken }, // bob's own repeat
        ],
      },
      bearer(bob.token),
    );
    expect(batch.status).toBe(200);
    expect(batch.body.acceptedCount).toBe(3);
    expect(batch.body.results.map((r) => [r.event?.userId, r.event?.productId, r.duplicate ?? false])).toEqual([
      [bob.userId, "7", false],
      [bob.userId, "8", false],
      [bob.userId, "7", true],
    ]);
    expect(JSON.stringify(batch.body)).not.toContain(alice.userId);
    expect((await eventsWithId(bob, taken)).map((e) => e.productId)).toEqual(["7"]);
    expect((await eventsWithId(alice, taken)).map((e) => e.productId)).toEqual(["6"]);
  });
});
