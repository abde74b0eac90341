import type { Redis } from "ioredis";
import { Kafka, type Admin, type KafkaConfig } from "kafkajs";
import type pg from "pg";
import type { Logger } from "pino";
import { Gauge } from "prom-client";
import { z } from "zod";
import { metricsRegistry } from "./metrics.js";
import { createPool } from "./pg.js";

/**
 * Settings of a process's dependency probes, read from the environment with the rest of its config
 * (spread into each process's schema, like `metricsConfigSchema`):
 * - `HEALTH_CHECK_INTERVAL_MS` (1000, 50 to 3,600,000): pause between two rounds of probes, in ms;
 * - `HEALTH_CHECK_TIMEOUT_MS` (1000, 10 to 60,000): how long one probe (`SELECT 1`, `PING`, a Kafka
 *   metadata request) may take before its dependency counts as unreachable, in ms.
 *
 * A dependency that goes down is seen within about interval + timeout (2 s by default); Kubernetes
 * adds its own `periodSeconds` × `failureThreshold` before it acts on the answer.
 */
export const healthConfigSchema = {
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1_000).describe("Pause between two rounds of dependency probes (`SELECT 1`, `PING`, a Kafka metadata request) that readiness and `recsys_dependency_up` follow, in ms."),
  HEALTH_CHECK_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000).describe("How long one dependency probe may take before its dependency counts as unreachable, in ms."),
};

/** One dependency a process checks periodically (see {@link DependencyMonitor}). */
export interface DependencyProbe {
  /** The dependency's name, the `dependency` label of `recsys_dependency_up`: "postgres", "redis", "kafka", … */
  readonly name: string;
  /**
   * Whether the process needs it to answer: a required dependency that is down makes the process
   * not ready (NOT_SERVING); an optional one only shows in the gauge and the log.
   */
  readonly required: boolean;
  /**
   * One cheap round trip. Resolves when the dependency answered; rejects with why not. The monitor
   * bounds it with its timeout and never starts a second check while one is still pending.
   */
  check(): Promise<void>;
  /** Releases what the probe holds (a connection); called by {@link DependencyMonitor.stop}. */
  close?(): Promise<void>;
}

/** What a dependency looked like at the last round of probes. */
export interface DependencyState {
  /** Whether its last check answered within the timeout. */
  readonly up: boolean;
  /** Whether it is required (see {@link DependencyProbe.required}). */
  readonly required: boolean;
  /** Why the last check failed, when it did. */
  readonly error?: string;
}

/** Something whose readiness can be followed: what `GrpcServer.followReadiness` takes. */
export interface Readiness {
  /** Whether every required dependency answered at the last round (false before the first). */
  readonly ready: boolean;
  /**
   * Calls `listener` with the new readiness each time it changes.
   *
   * @returns a function that removes the listener.
   */
  onChange(listener: (ready: boolean) => void): () => void;
}

/** Options of {@link DependencyMonitor}. */
export interface DependencyMonitorOptions {
  /** The dependencies to check. */
  readonly probes: readonly DependencyProbe[];
  /** Pause between the end of one round and the start of the next, in ms (`HEALTH_CHECK_INTERVAL_MS`). */
  readonly intervalMs: number;
  /** Longest a check may take before it counts as down, in ms (`HEALTH_CHECK_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** Receives one line when a dependency goes down (warn) and one when it is back (info). */
  readonly logger: Logger;
}

/** The monitors of this process whose states `recsys_dependency_up` reports. */
const monitors = new Set<DependencyMonitor>();

new Gauge({
  name: "recsys_dependency_up",
  help: "1 while the dependency answered the process's last health probe (SELECT 1, PING, Kafka metadata) within its timeout, else 0.",
  labelNames: ["dependency"] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const monitor of monitors) {
      for (const [dependency, state] of monitor.states()) this.set({ dependency }, state.up ? 1 : 0);
    }
  },
});

/**
 * Checks a process's dependencies periodically and says whether the process is ready: every
 * required dependency answered its last probe. This is what a gRPC server's readiness follows
 * (`GrpcServer.followReadiness`): the health checking protocol's SERVING / NOT_SERVING
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md), which a Kubernetes gRPC
 * readiness probe reads
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-a-grpc-liveness-probe).
 *
 * A round runs every probe at once, each bounded by `timeoutMs`; the next round starts `intervalMs`
 * after the last one ended, so rounds never overlap. A probe whose previous check is still pending
 * (a hung server) is not checked again and counts as down. Each state is exported as
 * `recsys_dependency_up{dependency}` (1 up, 0 down) while the monitor runs; a change of a
 * dependency's state is logged once.
 */
export class DependencyMonitor implements Readiness {
  private readonly current = new Map<string, DependencyState>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(ready: boolean) => void>();
  private isReady = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private round: Promise<boolean> | undefined;

  /** @param options - probes, interval, timeout and logger. */
  constructor(private readonly options: DependencyMonitorOptions) {}

  /** Whether every required dependency answered at the last round (false before the first round). */
  get ready(): boolean {
    return this.isReady;
  }

  /** Each dependency's state at the last round, by name (empty before the first round). */
  states(): ReadonlyMap<string, DependencyState> {
    return this.current;
  }

  /** {@inheritDoc Readiness.onChange} */
  onChange(listener: (ready: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts the periodic rounds: the first at once, then every `intervalMs` after the last ended.
   *
   * @returns the first round's readiness, once it is known (at most about `timeoutMs`).
   */
  start(): Promise<boolean> {
    if (this.running) return this.round ?? Promise.resolve(this.isReady);
    this.running = true;
    monitors.add(this);
    return this.scheduleNow();
  }

  /** Stops the rounds, removes this monitor's states from the gauge and closes the probes. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    monitors.delete(this);
    await this.round?.catch(() => undefined);
    for (const probe of this.options.probes) await probe.close?.().catch(() => undefined);
  }

  private scheduleNow(): Promise<boolean> {
    this.round = this.checkAll().finally(() => {
      if (this.running) this.timer = setTimeout(() => void this.scheduleNow(), this.options.intervalMs);
    });
    return this.round;
  }

  /** One round: checks every dependency, records the states, tells the listeners when readiness changed. */
  private async checkAll(): Promise<boolean> {
    const results = await Promise.all(this.options.probes.map(async (probe) => [probe, await this.checkOne(probe)] as const));
    for (const [probe, error] of results) {
      const before = this.current.get(probe.name);
      const state: DependencyState = error === undefined ? { up: true, required: probe.required } : { up: false, required: probe.required, error };
      this.current.set(probe.name, state);
      if (before === undefined ? !state.up : before.up !== state.up) {
        if (state.up) this.options.logger.info({ dependency: probe.name }, "dependency reachable again");
        else this.options.logger.warn({ dependency: probe.name, required: probe.required, err: error }, "dependency unreachable");
      }
    }
    const ready = results.every(([probe, error]) => !probe.required || error === undefined);
    if (ready !== this.isReady) {
      this.isReady = ready;
      for (const listener of this.listeners) listener(ready);
    }
    return ready;
  }

  /** @returns undefined when the check answered in time, else why not. */
  private async checkOne(probe: DependencyProbe): Promise<string | undefined> {
    if (this.pending.has(probe.name)) return `the previous check has not answered after more than ${this.options.timeoutMs} ms`;
    const check = probe.check().finally(() => this.pending.delete(probe.name));
    this.pending.set(probe.name, check);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.options.timeoutMs} ms`), this.options.timeoutMs);
    });
    try {
      return await Promise.race([check.then(() => undefined), timeout]);
    } catch (err) {
      return err instanceof Error ? err.message || err.name : String(err);
    } finally {
      clearTimeout(timer);
      check.catch(() => undefined);
    }
  }
}

/**
 * Builds a {@link DependencyMonitor} from a process's `HEALTH_CHECK_*` settings and runs its first
 * round, so that the process's readiness is known before it starts listening.
 *
 * @param config - `HEALTH_CHECK_INTERVAL_MS` and `HEALTH_CHECK_TIMEOUT_MS` as parsed (see {@link healthConfigSchema}).
 * @param probes - the dependencies to check.
 * @param logger - the process logger.
 * @returns the running monitor (call `stop()` at shutdown).
 */
export async function startDependencyMonitor(
  config: { readonly HEALTH_CHECK_INTERVAL_MS: number; readonly HEALTH_CHECK_TIMEOUT_MS: number },
  probes: readonly DependencyProbe[],
  logger: Logger,
): Promise<DependencyMonitor> {
  const monitor = new DependencyMonitor({ probes, intervalMs: config.HEALTH_CHECK_INTERVAL_MS, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, logger });
  await monitor.start();
  return monitor;
}

/**
 * A PostgreSQL probe: `SELECT 1` on a connection of its own (a one-connection pool, reconnected after
 * a failure), so that a busy service pool does not read as an outage and the probe never takes a
 * connection the requests need.
 *
 * @param name - the dependency's name (usually "postgres").
 * @param url - the database the process uses (its `DATABASE_URL`).
 * @param options - whether it is required, the probe timeout in ms (connection and statement), and
 *   the logger of its connection's errors.
 */
export function postgresProbe(
  name: string,
  url: string,
  options: { required: boolean; timeoutMs: number; logger: Logger },
): DependencyProbe {
  let pool: pg.Pool | undefined;
  return {
    name,
    required: options.required,
    async check() {
      pool ??= createPool(url, options.logger.child({ probe: name }), {
        max: 1,
        connectionTimeoutMs: options.timeoutMs,
        statementTimeoutMs: options.timeoutMs,
      });
      await pool.query("SELECT 1");
    },
    async close() {
      await pool?.end();
    },
  };
}

/**
 * A Redis probe: `PING` on the process's own client (the one its requests use; with ioredis'
 * offline queue off, a disconnected client fails at once).
 *
 * @param name - the dependency's name (usually "redis").
 * @param redis - the client.
 * @param required - whether the process needs Redis to answer.
 */
export function redisProbe(name: string, redis: Redis, required: boolean): DependencyProbe {
  return {
    name,
    required,
    async check() {
      await redis.ping();
    },
  };
}

/**
 * A Kafka probe: a metadata request (kafkajs `admin.describeCluster`) through an admin client of its
 * own, made from the process's Kafka settings with no retries (kafkajs' default retries a failed
 * connection for about 10 s; the monitor's next round is the retry here) and connection and request
 * timeouts of `timeoutMs`; a new client connects after a failure.
 *
 * @param name - the dependency's name (usually "kafka").
 * @param kafkaConfig - the process's kafkajs settings (brokers, client id, log creator).
 * @param options - whether the process needs Kafka to work, and the probe timeout in ms.
 */
export function kafkaProbe(name: string, kafkaConfig: KafkaConfig, options: { required: boolean; timeoutMs: number }): DependencyProbe {
  const kafka = new Kafka({
    ...kafkaConfig,
    retry: { retries: 0 },
    connectionTimeout: options.timeoutMs,
    requestTimeout: Math.max(options.timeoutMs, 1_000),
  });
  let admin: Admin | undefined;
  return {
    name,
    required: options.required,
    async check() {
      try {
        if (admin === undefined) {
          admin = kafka.admin();
          await admin.connect();
        }
        await admin.describeCluster();
      } catch (err) {
        const failed = admin;
        admin = undefined;
        await failed?.disconnect().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
