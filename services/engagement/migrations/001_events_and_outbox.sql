-- Up Migration

-- events: every accepted engagement, one row per event_id (the idempotency key).
-- seq is the acceptance order (ScanEvents cursors on it); occurred_at is the client's time of the
-- engagement and accepted_at the time the service stored it (equal to occurred_at for rows imported
-- from MovieLens history).
CREATE TABLE events (
  seq          bigserial PRIMARY KEY,
  event_id     text NOT NULL UNIQUE,
  user_id      text NOT NULL,
  product_id   text NOT NULL,
  type         smallint NOT NULL CHECK (type BETWEEN 1 AND 5),
  value        double precision NOT NULL DEFAULT 0,
  occurred_at  timestamptz NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT now()
);

-- A user's events newest first (ListUserEvents keyset pages, GetUserHistory).
CREATE INDEX events_user_occurred_idx ON events (user_id, occurred_at DESC, seq DESC);

-- outbox: the transactional outbox. A row is written in the same transaction as the event it
-- announces and deleted by the relay once Kafka has acknowledged it, so the database row and the
-- Kafka message can neither diverge nor be lost (https://microservices.io/patterns/data/transactional-outbox.html).
CREATE TABLE outbox (
  id          bigserial PRIMARY KEY,
  topic       text NOT NULL,
  key         text,
  payload     bytea NOT NULL,
  headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Wake the relay (LISTEN outbox) as soon as rows are committed. NOTIFY is delivered at commit and
-- collapses duplicates within a transaction, so one statement-level notification is enough.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
  AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Down Migration

DROP TRIGGER IF EXISTS outbox_notify_after_insert ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS events;
