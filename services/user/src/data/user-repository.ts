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

/** What sign-in needs: the account and its password hash. */
export interface UserCredentials {
  /** The account. */
  readonly user: UserRecord;
  /** The scrypt hash string, or null when the account cannot sign in. */
  readonly passwordHash: string | null;
}

/** A new account to store. */
export interface NewUser {
  /** The id to give it. */
  readonly userId: string;
  /** The validated username. */
  readonly username: string;
  /** The validated email. */
  readonly email: string;
  /** The scrypt hash string, or null. */
  readonly passwordHash: string | null;
}

interface UserRow {
  user_id: string;
  username: string;
  email: string;
  create_time: Date;
  password_hash?: string | null;
}

const PUBLIC_COLUMNS = "user_id, username, email, create_time";

/** PostgreSQL access to the `users` table (see migrations/001_users.sql). */
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
   * Changes an account's email and/or password hash in one statement; fields given as undefined keep
   * their value.
   *
   * @param userId - the account.
   * @param changes - the new email and/or the new scrypt hash string.
   * @returns the account after the change, or undefined when no account has the id.
   */
  async update(userId: string, changes: { readonly email?: string; readonly passwordHash?: string }): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE users
          SET email = COALESCE($2, email), password_hash = COALESCE($3, password_hash)
        WHERE user_id = $1
        RETURNING ${PUBLIC_COLUMNS}`,
      [userId, changes.email ?? null, changes.passwordHash ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
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
   * Reads an account and its password hash by username, case-insensitively (for sign-in only).
   *
   * @param username - the sign-in name.
   * @returns the credentials, or undefined when no account has the name.
   */
  async findCredentials(username: string): Promise<UserCredentials | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${PUBLIC_COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)`,
      [username],
    );
    const row = rows[0];
    return row ? { user: toRecord(row), passwordHash: row.password_hash ?? null } : undefined;
  }
}

function toRecord(row: UserRow): UserRecord {
  return { userId: row.user_id, username: row.username, email: row.email, createTime: row.create_time };
}
