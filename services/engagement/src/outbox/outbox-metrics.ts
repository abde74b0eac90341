import type pg from "pg";
import { Counter, Gauge } from "prom-client";
import { metricsRegistry } from "../../../shared/src/metrics.js";
import type { OutboxRelay } from "./outbox-relay.js";

/** Longest a scrape's outbox query may take, in ms (a slow database must not hang the scrape). */
const OUTBOX_QUERY_TIMEOUT_MS = 2_000;

/**
 * Registers the outbox's Prometheus metrics, read at each scrape:
 * - `recsys_outbox_pending_rows`: rows waiting in the outbox (events accepted, not yet in Kafka);
 * - `recsys_outbox_oldest_row_age_seconds`: age of the oldest waiting row (0 when empty): how far
 *   Kafka is behind the engagement database;
 * - `recsys_outbox_published_rows_total`, `recsys_outbox_published_batches_total`,
 *   `recsys_outbox_failures_total`: the relay's counters since the process started;
 * - `recsys_outbox_relay_failing`: 1 while the relay's last attempt failed (Kafka or PostgreSQL down);
 * - `recsys_outbox_last_batch_lag_seconds`: from the oldest row's creation to its batch's commit.
 * When PostgreSQL cannot be read, the two database gauges are left out of that scrape.
 *
 * @param relay - the process's relay.
 * @param pool - the engagement database.
 */
export function registerOutboxMetrics(relay: OutboxRelay, pool: pg.Pool): void {
  const registers = [metricsRegistry];
  const backlog = async (): Promise<{ rows: number; ageSeconds: number } | undefined> => {
    try {
      const res = await pool.query<{ rows: string; age: number | null }>({
        text: "SELECT count(*) AS rows, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox",
        query_timeout: OUTBOX_QUERY_TIMEOUT_MS,
      } as pg.QueryConfig);
      const row = res.rows[0]!;
      return { rows: Number(row.rows), ageSeconds: Math.max(0, row.age ?? 0) };
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: "recsys_outbox_pending_rows",
    help: "Rows waiting in the transactional outbox (accepted events not yet published to Kafka).",
    registers,
    async collect() {
      this.reset();
      const b = await backlog();
      if (b) this.set(b.rows);
    },
  });
  new Gauge({
    name: "recsys_outbox_oldest_row_age_seconds",
    help: "Age of the oldest row waiting in the outbox, in seconds (0 when it is empty).",
    registers,
    async collect() {
      this.reset();
      const b = await backlog();
      if (b) this.set(b.ageSeconds);
    },
  });
  const fromRelay = (name: string, help: string, read: (m: ReturnType<OutboxRelay["counters"]>) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(relay.counters()));
      },
    });
  };
  fromRelay("recsys_outbox_published_rows_total", "Outbox rows published to Kafka and deleted.", (m) => m.published);
  fromRelay("recsys_outbox_published_batches_total", "Outbox batches published to Kafka.", (m) => m.batches);
  fromRelay("recsys_outbox_failures_total", "Failed relay attempts (each rolled back; nothing lost).", (m) => m.failures);
  new Gauge({
    name: "recsys_outbox_relay_failing",
    help: "1 while the outbox relay's last attempt failed (Kafka or PostgreSQL unreachable), else 0.",
    registers,
    collect() {
      this.set(relay.counters().failing ? 1 : 0);
    },
  });
  new Gauge({
    name: "recsys_outbox_last_batch_lag_seconds",
    help: "Time from the oldest row of the last published batch being written to the batch's commit, in seconds.",
    registers,
    collect() {
      this.reset();
      const lag = relay.counters().lastBatchLagMs;
      if (lag !== undefined) this.set(lag / 1000);
    },
  });
}
