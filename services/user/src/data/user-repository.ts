import type pg from "pg";

/** One account as other code sees it: never the password hash. */
export interface UserRecord {
  /** Stable id: a UUID for registered users, the MovieLens userId for imported ones. */
  readonly userId: string;
  /** Sign-in name, as registered (uniqueness is case-insensitive). */
  readonly username: string;
  /** Contact address, "" for imported users. */
  readonly email: string;
  /** When the account was created. */
  readonly createTime: Date;
}

/** What sign-in needs: the account, its password hash and its token version. */
export interface UserCredentials {
  /** The account. */
  readonly user: UserRecord;
  /** The hash string (Argon2id PHC, or legacy scrypt), or null when the account cannot sign in. */
  readonly passwordHash: string | null;
  /** The account's token version: tokens carrying a lower one are revoked (see migrations/002). */
  readonly tokenVersion: number;
}

/** An account to import: the caller's id, a validated username and email (possibly ""), no password. */
export interface ImportedUser {
  /** The caller's id of the user. */
  readonly userId: string;
  /** The validated username. */
  readonly username: string;
  /** The validated email, or "". */
  readonly email: string;
}

/**
 * What {@link UserRepository.batchImport} did to one user: `created`, `unchanged` (an identical
 * account was stored), `id-conflict` (the id is stored with another username or email) or
 * `username-taken` (another account has the username, case-insensitively).
 */
export type ImportOutcome = "created" | "unchanged" | "id-conflict" | "username-taken";

/** Why {@link UserRepository.changePassword} wrote nothing. */
export type PasswordChangeRefusal = "not-found" | "hash-changed";

/** A new account to store. */
export interface NewUser {
  /** The id to give it. */
  readonly userId: string;
  /** The validated username. */
  readonly username: string;
  /** The validated email. */
  readonly email: string;
  /** The hash string (see {@link UserCredentials.passwordHash}), or null. */
  readonly passwordHash: string | null;
}

interface UserRow {
  user_id: string;
  username: string;
  email: string;
  create_time: Date;
  password_hash?: string | null;
  token_version?: number;
}

const PUBLIC_COLUMNS = "user_id, username, email, create_time";

/** PostgreSQL access to the `users` table (see migrations/001_users.sql and 002_token_version.sql). */
export class UserRepository {
  /** @param pool - connection pool of the users database. */
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Inserts an account unless its username is taken (case-insensitively). One statement, relying on
   * the unique index on lower(username) (`ON CONFLICT … DO NOTHING`), so two concurrent
   * registrations of one name cannot both succeed.
   *
   * @param user - the account.
   * @returns the stored account, or undefined when the username is taken.
   */
  async create(user: NewUser): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO users (user_id, username, email, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT ((lower(username))) DO NOTHING
       RETURNING ${PUBLIC_COLUMNS}`,
      [user.userId, user.username, user.email, user.passwordHash],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Imports accounts without password in one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`
   * (either unique key, user_id or lower(username)), then reads the stored accounts of the ids that
   * were not inserted to say why (an id not stored was refused for its username): so a second import of the same users changes
   * nothing and concurrent imports of one user cannot both create it.
   *
   * @param users - validated accounts with distinct ids.
   * @returns one outcome per user, in the given order.
   * @throws Error from PostgreSQL (nothing is stored then).
   */
  async batchImport(users: readonly ImportedUser[]): Promise<ImportOutcome[]> {
    if (users.length === 0) return [];
    const ids = users.map((u) => u.userId);
    const { rows: inserted } = await this.pool.query<{ user_id: string }>(
      `INSERT INTO users (user_id, username, email, password_hash)
       SELECT t.user_id, t.username, t.email, NULL
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(user_id, username, email, ord)
       ORDER BY t.ord
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [ids, users.map((u) => u.username), users.map((u) => u.email)],
    );
    const created = new Set(inserted.map((r) => r.user_id));
    const rest = users.filter((u) => !created.has(u.userId));
    const byId = new Map<string, UserRow>();
    if (rest.length > 0) {
      const { rows } = await this.pool.query<UserRow>(
        `SELECT ${PUBLIC_COLUMNS} FROM users WHERE user_id = ANY($1::text[])`,
        [rest.map((u) => u.userId)],
      );
      for (const row of rows) byId.set(row.user_id, row);
    }
    return users.map((u) => {
      if (created.has(u.userId)) return "created";
      const stored = byId.get(u.userId);
      if (stored) return stored.username === u.username && stored.email === u.email ? "unchanged" : "id-conflict";
      return "username-taken";
    });
  }

  /**
   * Changes an account's email in one statement.
   *
   * @param userId - the account.
   * @param email - the new, validated email.
   * @returns the account after the change, or undefined when no account has the id.
   */
  async updateEmail(userId: string, email: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE users SET email = $2 WHERE user_id = $1 RETURNING ${PUBLIC_COLUMNS}`,
      [userId, email],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Changes an account's password (and, when given, its email) and increments its token version,
   * which revokes every access token issued before, in one statement. With `expectedHash`, the row
   * changes only if its hash is still that one (compare-and-set: a password changed concurrently
   * since the caller checked the current password is not overwritten).
   *
   * @param userId - the account.
   * @param change - the new hash string, the new email or undefined, and the hash the caller verified
   *   against (undefined: change unconditionally, the service token's reset).
   * @returns the account after the change and its new token version, or why nothing was written.
   */
  async changePassword(
    userId: string,
    change: { readonly passwordHash: string; readonly email?: string; readonly expectedHash?: string | null },
  ): Promise<{ readonly user: UserRecord; readonly tokenVersion: number } | PasswordChangeRefusal> {
    const conditional = change.expectedHash !== undefined;
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE users
          SET password_hash = $2, email = COALESCE($3, email), token_version = token_version + 1
        WHERE user_id = $1 AND (NOT $4::boolean OR password_hash IS NOT DISTINCT FROM $5)
        RETURNING ${PUBLIC_COLUMNS}, token_version`,
      [userId, change.passwordHash, change.email ?? null, conditional, change.expectedHash ?? null],
    );
    const row = rows[0];
    if (row) return { user: toRecord(row), tokenVersion: row.token_version ?? 0 };
    return conditional && (await this.get(userId)) ? "hash-changed" : "not-found";
  }

  /**
   * Replaces a password hash by another of the same password (a rehash at sign-in), only if the
   * stored hash is still `expectedHash`, so it never undoes a concurrent password change. The token
   * version is left alone: the account's tokens stay valid.
   *
   * @param userId - the account.
   * @param expectedHash - the hash the password was just verified against.
   * @param newHash - the new hash string.
   * @returns true when the row was updated.
   */
  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "UPDATE users SET password_hash = $3 WHERE user_id = $1 AND password_hash = $2",
      [userId, expectedHash, newHash],
    );
    return rowCount === 1;
  }

  /**
   * Reads an account's token version.
   *
   * @param userId - the account.
   * @returns the version, or undefined when no account has the id.
   */
  async tokenVersion(userId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ token_version: number }>("SELECT token_version FROM users WHERE user_id = $1", [userId]);
    return rows[0]?.token_version;
  }

  /**
   * Reads an account by id.
   *
   * @param userId - the id.
   * @returns the account without its hash, or undefined.
   */
  async get(userId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${PUBLIC_COLUMNS} FROM users WHERE user_id = $1`, [userId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Reads a page of accounts in user_id order (the primary key's index), strictly after a user id.
   *
   * @param afterUserId - the last user id of the previous page, or undefined for the first page.
   * @param limit - the most accounts to return.
   * @returns the accounts, without hashes.
   */
  async list(afterUserId: string | undefined, limit: number): Promise<UserRecord[]> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM users WHERE ($1::text IS NULL OR user_id > $1) ORDER BY user_id LIMIT $2`,
      [afterUserId ?? null, limit],
    );
    return rows.map(toRecord);
  }

  /**
   * Deletes an account in one statement: its row holds everything this service keeps about it
   * (username, email, password hash, token version), so its access tokens are refused from now on
   * (`tokenVersion` answers undefined).
   *
   * @param userId - the account.
   * @returns the deleted account, or undefined when no account had the id.
   */
  async delete(userId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(`DELETE FROM users WHERE user_id = $1 RETURNING ${PUBLIC_COLUMNS}`, [userId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Reads an account and its password hash by username, case-insensitively (for sign-in only).
   *
   * @param username - the sign-in name.
   * @returns the credentials, or undefined when no account has the name.
   */
  async findCredentials(username: string): Promise<UserCredentials | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${PUBLIC_COLUMNS}, password_hash, token_version FROM users WHERE lower(username) = lower($1)`,
      [username],
    );
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }

  /**
   * Reads an account and its password hash by id (for checking the current password of a change).
   *
   * @param userId - the account.
   * @returns the credentials, or undefined when no account has the id.
   */
  async findCredentialsById(userId: string): Promise<UserCredentials | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${PUBLIC_COLUMNS}, password_hash, token_version FROM users WHERE user_id = $1`,
      [userId],
    );
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }
}

function toCredentials(row: UserRow): UserCredentials {
  return { user: toRecord(row), passwordHash: row.password_hash ?? null, tokenVersion: row.token_version ?? 0 };
}

function toRecord(row: UserRow): UserRecord {
  return { userId: row.user_id, username: row.username, email: row.email, createTime: row.create_time };
}
