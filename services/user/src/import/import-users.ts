import type pg from "pg";

/** Counts of one {@link importUsers} run. */
export interface UserImportResult {
  /** Distinct user ids given (610 for ml-latest-small). */
  readonly total: number;
  /** Accounts created now; 0 on a second run. */
  readonly inserted: number;
}

const MOVIELENS_USER_ID = /^\d{1,18}$/;

/**
 * Creates one account per MovieLens user id: user_id "<id>", username "movielens_<id>", email "",
 * password_hash NULL (these accounts cannot sign in). One `INSERT … SELECT FROM unnest($1)`
 * statement with `ON CONFLICT DO NOTHING`, so re-running changes nothing and existing accounts are
 * left alone.
 *
 * @param pool - pool of the users database (migrated).
 * @param userIds - MovieLens userIds (digits), for example from `readRatingUserIds(ratings.csv)`;
 *   duplicates are ignored.
 * @returns how many distinct ids were given and how many accounts were created.
 * @throws Error naming the first id that is not 1 to 18 digits; PostgreSQL errors.
 */
export async function importUsers(pool: pg.Pool, userIds: readonly string[]): Promise<UserImportResult> {
  const ids = [...new Set(userIds)];
  const bad = ids.find((id) => !MOVIELENS_USER_ID.test(id));
  if (bad !== undefined) throw new Error(`MovieLens user id ${JSON.stringify(bad)} is not 1 to 18 digits`);
  if (ids.length === 0) return { total: 0, inserted: 0 };
  const result = await pool.query(
    `INSERT INTO users (user_id, username, email, password_hash)
     SELECT id, 'movielens_' || id, '', NULL FROM unnest($1::text[]) AS id
     ON CONFLICT DO NOTHING`,
    [ids],
  );
  return { total: ids.length, inserted: result.rowCount ?? 0 };
}
