-- Up Migration

-- token_version revokes access tokens: every token carries the version current when it was issued
-- (its "ver" claim, 0 when absent), and a token whose version is below the account's is refused.
-- A password change increments it (UpdateUser), so the tokens issued before the change stop working;
-- a rehash at sign-in (legacy scrypt to Argon2id) does not.
-- password_hash is now an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash) or a legacy
-- scrypt one (scrypt$N$r$p$salt$hash), replaced by Argon2id at the next successful sign-in.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0 CHECK (token_version >= 0);

-- Down Migration
ALTER TABLE users DROP COLUMN token_version;
