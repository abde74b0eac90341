-- Up Migration

-- users are the accounts. password_hash is a self-describing scrypt string
-- (scrypt$N$r$p$salt$hash, see src/passwords.ts); NULL means the account cannot sign in
-- (imported MovieLens users).
CREATE TABLE users (
  user_id       text PRIMARY KEY,
  username      text NOT NULL,
  email         text NOT NULL DEFAULT '',
  password_hash text NULL,
  create_time   timestamptz NOT NULL DEFAULT now()
);

-- Usernames are unique case-insensitively; CreateUser relies on this index (ON CONFLICT), not on a
-- check-then-insert.
CREATE UNIQUE INDEX users_username_lower_idx ON users (lower(username));

-- Down Migration
DROP TABLE users;
