import type pg from "pg";
import { counterFrom, gaugeFrom } from "../metrics.js";
import type { OutboxRelay } from "./outbox-relay.js";

/** Longest a scrape's outbox query may take, in ms (a slow database must not hang the scrape). */
const OUTBOX_QUERY_TIMEOUT_MS = 2_000;

/** How long one backlog answer serves the scrape's gauges, in ms. */
const BACKLOG_REUSE_MS = 1_000;

/**
 * Registers the outbox's Prometheus metrics, read at each scrape:
 * - `recsys_outbox_pending_rows`: rows waiting in the outbox (events accepted, not yet in Kafka);
 * - `recsys_outbox_oldest_row_age_seconds`: age of the oldest waiting row (0 when empty): how far
 *   Kafka is behind the engagement database;
 * - `recsys_outbox_published_rows_total`, `recsys_outbox_published_batches_total`,
 *   `recsys_outbox_failures_total`: the relay's counters since the process started;
 * - `recsys_outbox_relay_failing`: 1 while the relay's last attempt failed (Kafka or PostgreSQL down);
 * - `recsys_outbox_last_batch_lag_seconds`: from the oldest row's creation to its batch's commit.
 * The two database gauges share one query per scrape; when PostgreSQL cannot be read, they are
 * left out of that scrape.
 *
 * @param relay - the process's relay.
 * @param pool - the engagement database.
 */
export function registerOutboxMetrics(relay: OutboxRelay, pool: pg.Pool): void {
  // Both database gauges come from one query: a scrape collects them together, so the first asks
  // and the second reuses the answer (kept for a second).
  let last: { at: number; answer: Promise<{ rows: number; ageSeconds: number } | undefined> } | undefined;
  const backlog = (): Promise<{ rows: number; ageSeconds: number } | undefined> => {
    if (last && Date.now() - last.at < BACKLOG_REUSE_MS) return last.answer;
    const answer = pool
      .query<{ rows: string; age: number | null }>({
        text: "SELECT count(*) AS rows, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox",
        query_timeout: OUTBOX_QUERY_TIMEOUT_MS,
      } as pg.QueryConfig)
      .then(
        (res) => ({ rows: Number(res.rows[0]!.rows), ageSeconds: Math.max(0, res.rows[0]!.age ?? 0) }),
        () => undefined,
      );
    last = { at: Date.now(), answer };
    return answer;
  };
  gaugeFrom(
    "recsys_outbox_pending_rows",
    "Rows waiting in the transactional outbox (committed changes not yet published to Kafka).",
    async () => (await backlog())?.rows,
  );
  gaugeFrom(
    "recsys_outbox_oldest_row_age_seconds",
    "Age of the oldest row waiting in the outbox, in seconds (0 when it is empty).",
    async () => (await backlog())?.ageSeconds,
  );
  counterFrom("recsys_outbox_published_rows_total", "Outbox rows published to Kafka and deleted.", () => relay.counters().published);
  counterFrom("recsys_outbox_published_batches_total", "Outbox batches published to Kafka.", () => relay.counters().batches);
  counterFrom("recsys_outbox_failures_total", "Failed relay attempts (each rolled back; nothing lost).", () => relay.counters().failures);
  gaugeFrom(
    "recsys_outbox_relay_failing",
    "1 while the outbox relay's last attempt failed (Kafka or PostgreSQL unreachable), else 0.",
    () => (relay.counters().failing ? 1 : 0),
  );
  gaugeFrom(
    "recsys_outbox_last_batch_lag_seconds",
    "Time from the oldest row of the last published batch being written to the batch's commit, in seconds.",
    () => {
      const lag = relay.counters().lastBatchLagMs;
      return lag === undefined ? undefined : lag / 1000;
    },
  );
}
