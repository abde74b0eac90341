import { withDeadline } from "./deadline.js";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { metricsRegistry } from "../../../../shared/src/metrics.js";

const unavailableTotal = new Counter({
  name: "recsys_recommendation_signal_unavailable_total",
  help: "Requests answered without a signal because reading it failed or timed out, by signal.",
  labelNames: ["signal"] as const,
  registers: [metricsRegistry],
});

/**
 * Reads an optional signal (trending from Redis, a collaborative model) for one request without
 * letting its failure fail the request: a call that throws or takes longer than `timeoutMs`
 * yields the fallback, marks the signal unavailable (reported in `unavailable_signals`) and logs
 * one warning (and counts it in `recsys_recommendation_signal_unavailable_total{signal}`); later
 * calls in the same request then return their fallback at once.
 */
export class OptionalSignal {
  private failed = false;

  /**
   * @param name - the signal's name as reported, for example "trending".
   * @param timeoutMs - how long one call may take, in milliseconds.
   * @param logger - where the warning goes (the request's logger).
   */
  constructor(
    readonly name: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** True once a call failed or timed out. */
  get unavailable(): boolean {
    return this.failed;
  }

  /**
   * Runs `call`, or returns `fallback` when the signal already failed, when `call` throws, or
   * when it has not settled within the timeout.
   */
  async read<T>(call: () => Promise<T>, fallback: T): Promise<T> {
    if (this.failed) return fallback;
    try {
      return await withDeadline(call(), this.timeoutMs, this.name);
    } catch (err) {
      this.failed = true;
      unavailableTotal.inc({ signal: this.name });
      this.logger.warn({ signal: this.name, err: err instanceof Error ? err.message : String(err) }, "signal unavailable, serving without it");
      return fallback;
    }
  }
}
