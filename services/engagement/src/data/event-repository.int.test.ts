import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/infra.js";
import { migrate } from "../../../shared/src/pg.js";
import { engagementOutboxMessage } from "../event-message.js";
import { ENGAGEMENT_MIGRATIONS_DIR } from "../migrations-dir.js";
import { EventRepository, eventKey, type NewEvent } from "./event-repository.js";

// The idempotency key of an event is (user_id, event_id). Before migration 002 event_id alone was
// unique: a second user's event with a first user's event_id was not stored, and the first user's
// event (their user id, product and type) was returned to the second.

const T = new Date("2025-03-01T10:00:00.000Z");

function newEvent(userId: string, eventId: string, productId: string, type: EventType = EventType.CLICK): NewEvent {
  return { eventId, userId, productId, type, value: 0, occurredAt: T };
}

const outbox = (e: Parameters<typeof engagementOutboxMessage>[1]) => engagementOutboxMessage("engagement-events", e, []);

describe("EventRepository idempotency keys (real PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let events: EventRepository;

  async function rows(eventId: string): Promise<{ user_id: string; product_id: string }[]> {
    const res = await pool.query<{ user_id: string; product_id: string }>(
      "SELECT user_id, product_id FROM events WHERE event_id = $1 ORDER BY user_id",
      [eventId],
    );
    return res.rows;
  }

  async function outboxCount(eventId: string): Promise<number> {
    const res = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE headers->>'event-id' = $1", [eventId]);
    return res.rows[0]!.n;
  }

  beforeAll(async () => {
    db = await createTestDatabase("engagement_repo", ENGAGEMENT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on("error", () => undefined);
    events = new EventRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("insertWithOutbox: another user's event with the same event_id is stored and returned as its own", async () => {
    const a = await events.insertWithOutbox(newEvent("alice", "shared-1", "10", EventType.LIKE), outbox);
    const b = await events.insertWithOutbox(newEvent("bob", "shared-1", "20", EventType.CLICK), outbox);
    expect(a.inserted).toBe(true);
    expect(b.inserted).toBe(true);
    expect(b.event).toMatchObject({ userId: "bob", productId: "20", type: EventType.CLICK, eventId: "shared-1" });
    expect(b.event.seq).not.toBe(a.event.seq);
    expect(await rows("shared-1")).toEqual([
      { user_id: "alice", product_id: "10" },
      { user_id: "bob", product_id: "20" },
    ]);
    expect(await outboxCount("shared-1")).toBe(2);

    // A retry by the same user is still one event: their own first event comes back.
    const retry = await events.insertWithOutbox(newEvent("bob", "shared-1", "30", EventType.DISLIKE), outbox);
    expect(retry.inserted).toBe(false);
    expect(retry.event).toEqual(b.event);
    const aliceRetry = await events.insertWithOutbox(newEvent("alice", "shared-1", "30"), outbox);
    expect(aliceRetry.event).toEqual(a.event);
    expect(await outboxCount("shared-1")).toBe(2);

    expect(await events.findByKey("bob", "shared-1")).toEqual(b.event);
    expect(await events.findByKey("carol", "shared-1")).toBeUndefined();
  });

  it("insertManyWithOutbox: keys are (user_id, event_id), repeats get their own user's first event", async () => {
    await events.insertWithOutbox(newEvent("alice", "m-1", "10"), outbox);
    const results = await events.insertManyWithOutbox(
      [newEvent("alice", "m-1", "11"), newEvent("bob", "m-1", "12"), newEvent("carol", "m-1", "13"), newEvent("bob", "m-2", "14")],
      outbox,
    );
    expect(results.map((r) => [r.event.userId, r.event.eventId, r.event.productId, r.inserted])).toEqual([
      ["alice", "m-1", "10", false],
      ["bob", "m-1", "12", true],
      ["carol", "m-1", "13", true],
      ["bob", "m-2", "14", true],
    ]);
    expect(await outboxCount("m-1")).toBe(3);

    // The same batch again: every event is a repeat, each answered with its own user's event.
    const again = await events.insertManyWithOutbox(
      [newEvent("carol", "m-1", "99"), newEvent("bob", "m-2", "99"), newEvent("bob", "m-1", "99")],
      outbox,
    );
    expect(again.map((r) => [r.event.userId, r.event.productId, r.inserted])).toEqual([
      ["carol", "13", false],
      ["bob", "14", false],
      ["bob", "12", false],
    ]);
    expect((await rows("m-1")).map((r) => r.user_id)).toEqual(["alice", "bob", "carol"]);
  });

  it("stores each (user_id, event_id) once when batches of several users race", async () => {
    // Each batch holds the same 50 keys (5 users × 10 event ids) in a different order of users.
    const batch = (i: number) =>
      Array.from({ length: 50 }, (_, j) => newEvent(`racer-${(i + Math.floor(j / 10)) % 5}`, `race-${j % 10}`, `${i}`));
    const batches = [0, 1, 2, 3].map(batch);
    const outcomes = await Promise.all(batches.map((b) => events.insertManyWithOutbox(b, outbox)));
    const res = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE event_id LIKE 'race-%'");
    expect(res.rows[0]!.n).toBe(50);
    expect(outcomes.flat().filter((r) => r.inserted)).toHaveLength(50);
    outcomes.forEach((outcome, i) =>
      outcome.forEach((r, j) => expect([r.event.userId, r.event.eventId]).toEqual([batches[i]![j]!.userId, batches[i]![j]!.eventId])),
    );
  });

  it("eventKey keeps pairs apart even when the ids hold ':'", () => {
    expect(eventKey("a:b", "c")).not.toBe(eventKey("a", "b:c"));
    expect(eventKey("u1", "e1")).toBe(eventKey("u1", "e1"));
  });
});

describe("migration 002 on a populated events table (real PostgreSQL)", () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase("engagement_mig");
    dir = await mkdtemp(path.join(tmpdir(), "engagement-migrations-"));
    await copyFile(path.join(ENGAGEMENT_MIGRATIONS_DIR, "001_events_and_outbox.sql"), path.join(dir, "001_events_and_outbox.sql"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("replaces UNIQUE(event_id) with UNIQUE(user_id, event_id), keeping every row", async () => {
    const silent = pino({ level: "silent" });
    await migrate(db.url, dir, silent);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // As many rows as the MovieLens import (100,836), with globally unique event ids, as before.
      await client.query(
        `INSERT INTO events (event_id, user_id, product_id, type, value, occurred_at)
         SELECT 'old-' || i, 'u' || (i % 610), (i % 9742)::text, 5, 4, now() FROM generate_series(1, 100836) AS i`,
      );
      const started = performance.now();
      expect(await migrate(db.url, ENGAGEMENT_MIGRATIONS_DIR, silent)).toEqual([
        "002_events_user_scoped_idempotency",
        "003_user_deletions",
        "004_impressions_and_attribution",
      ]);
      console.info(`migrations 002-004 on 100,836 events: ${Math.round(performance.now() - started)} ms`);

      expect((await client.query<{ n: number }>("SELECT count(*)::int AS n FROM events")).rows[0]!.n).toBe(100_836);
      const constraints = await client.query<{ conname: string; def: string }>(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'u'",
      );
      expect(constraints.rows).toEqual([{ conname: "events_user_event_key", def: "UNIQUE (user_id, event_id)" }]);

      // An existing event_id under another user is now a new event; under the same user, a conflict.
      await client.query("INSERT INTO events (event_id, user_id, product_id, type, occurred_at) VALUES ('old-1', 'someone-else', '1', 1, now())");
      await expect(
        client.query("INSERT INTO events (event_id, user_id, product_id, type, occurred_at) VALUES ('old-1', 'u1', '1', 1, now())"),
      ).rejects.toThrow(/events_user_event_key/);
    } finally {
      await client.end();
    }
  }, 60_000);
});
