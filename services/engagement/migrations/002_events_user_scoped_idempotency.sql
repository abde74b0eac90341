-- Up Migration

-- The idempotency key of an event becomes (user_id, event_id): event_id alone was unique across all
-- users, so a user posting another user's event_id got that user's event back (their user id,
-- product and type) and their own event was dropped. Now the same event_id from two users is two
-- events, and a retry by the same user is still one.
--
-- Safe on a populated table: every existing row already has a globally unique event_id, so the pair
-- is unique too and the new index cannot fail on existing data. The index is built first and then
-- attached as the constraint (ADD CONSTRAINT … USING INDEX, no second build); the build holds a
-- SHARE lock on events (reads go on, writes wait for the build: about 0.1 s for 100,836 rows, the
-- size of the MovieLens import, measured by event-repository.int.test.ts), and the constraint swap is
-- a catalog change. The migrations run in one transaction,
-- so a failure leaves the old constraint in place.
CREATE UNIQUE INDEX events_user_event_key ON events (user_id, event_id);
ALTER TABLE events ADD CONSTRAINT events_user_event_key UNIQUE USING INDEX events_user_event_key;
ALTER TABLE events DROP CONSTRAINT events_event_id_key;

-- Down Migration

-- Fails (and changes nothing) once two users have stored the same event_id.
ALTER TABLE events ADD CONSTRAINT events_event_id_key UNIQUE (event_id);
ALTER TABLE events DROP CONSTRAINT events_user_event_key;
