-- Up Migration

-- user_deletions records each user whose events were deleted (EngagementService.DeleteUserEvents,
-- called by UserService.DeleteUser). It is the one row about a deleted user that stays: it makes the
-- deletion idempotent (a retry deletes nothing more and queues no second Kafka message) and lets
-- RecordEvent refuse events recorded for the user afterwards, in the event's own transaction, so an
-- event racing the deletion is either deleted with the others or refused, never left behind.
-- It holds the user id and the time only: no event, no product, no account data.
CREATE TABLE user_deletions (
  user_id       text PRIMARY KEY,
  deleted_at    timestamptz NOT NULL DEFAULT now(),
  deleted_events bigint NOT NULL CHECK (deleted_events >= 0)
);

-- Down Migration
DROP TABLE user_deletions;
