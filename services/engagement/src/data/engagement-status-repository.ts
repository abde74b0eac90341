import type pg from "pg";

/** What {@link readEngagementStatus} measured. */
export interface EngagementStatus {
  /** Events accepted over the last minute (by `accepted_at`), divided by 60: events per second. */
  readonly eventsPerSecond: number;
  /** Rows in the outbox: committed changes not yet published to Kafka. */
  readonly outboxPendingRows: number;
  /** Age of the oldest outbox row, in seconds; 0 when the outbox is empty. */
  readonly outboxOldestRowAgeSeconds: number;
}

/** Longest the status query may take, in ms: an operator's poll must not hang on a slow database. */
const STATUS_QUERY_TIMEOUT_MS = 2_000;

/**
 * Reads the engagement database's view of its load in one statement: the events accepted in the
 * last 60 s (the BRIN index `events_accepted_at_brin` of migration 004 keeps this to the newest
 * pages) and the outbox backlog (as `recsys_outbox_pending_rows` and
 * `recsys_outbox_oldest_row_age_seconds` report it). Times are the database's `now()`.
 *
 * @param pool - the engagement database pool.
 * @returns the status.
 * @throws the database's error, or a query timeout after 2 s.
 */
export async function readEngagementStatus(pool: pg.Pool): Promise<EngagementStatus> {
  const { rows } = await pool.query<{ recent: string; pending: string; age: number | null }>({
    text: `SELECT (SELECT count(*) FROM events WHERE accepted_at >= now() - interval '60 seconds')::text AS recent,
                  o.pending::text AS pending, o.age
             FROM (SELECT count(*) AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox) o`,
    query_timeout: STATUS_QUERY_TIMEOUT_MS,
  } as pg.QueryConfig);
  const row = rows[0]!;
  return {
    eventsPerSecond: Number(row.recent) / 60,
    outboxPendingRows: Number(row.pending),
    outboxOldestRowAgeSeconds: Math.max(0, row.age ?? 0),
  };
}
