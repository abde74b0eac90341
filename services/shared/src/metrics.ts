import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { z } from "zod";
import { portSchema } from "./config.js";

/**
 * The process's Prometheus registry (prom-client, https://github.com/siimots/prom-client): every
 * metric of this process registers here, and {@link startMetricsServer} serves it. One per
 * process, like prom-client's own default registry, so code anywhere can add a metric without
 * threading a registry through; names follow Prometheus conventions
 * (https://prometheus.io/docs/practices/naming/): base units (seconds, bytes), `_total` for
 * counters, a `recsys_` prefix for the project's own.
 */
export const metricsRegistry = new Registry();

/** Whether prom-client's process defaults are being collected into {@link metricsRegistry}. */
let defaultsCollected = false;

/**
 * Registers a gauge whose value is read at each scrape.
 *
 * @param name - the metric name (Prometheus conventions: base units in the name, e.g. `_seconds`).
 * @param help - one sentence for `# HELP`.
 * @param read - the value now, or undefined to leave the gauge out of this scrape (for example
 *   while nothing is loaded, or when the source cannot be read); may be async.
 */
export function gaugeFrom(name: string, help: string, read: () => number | undefined | Promise<number | undefined>): void {
  new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      const value = await read();
      if (value !== undefined) this.set(value);
    },
  });
}

/**
 * Registers a counter whose total is read at each scrape from a counter the code keeps anyway
 * (for example a relay's or consumer's own tallies), instead of incrementing it in two places.
 *
 * @param name - the metric name, ending in `_total`.
 * @param help - one sentence for `# HELP`.
 * @param read - the total since the process started (never decreasing).
 */
export function counterFrom(name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** Latency buckets of RPC histograms, in seconds (1 ms to 10 s). */
export const RPC_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const rpcHandled = new Counter({
  name: "grpc_server_handled_total",
  help: "RPCs answered by this server, by service, method and gRPC status code.",
  labelNames: ["grpc_service", "grpc_method", "grpc_code"] as const,
  registers: [metricsRegistry],
});

const rpcLatency = new Histogram({
  name: "grpc_server_handling_seconds",
  help: "Time from receiving an RPC to answering it, in seconds, by service and method.",
  labelNames: ["grpc_service", "grpc_method"] as const,
  buckets: RPC_LATENCY_BUCKETS_SECONDS,
  registers: [metricsRegistry],
});

/** What the gRPC server records for one method (see {@link rpcMetricsFor}). */
export interface MethodMetrics {
  /**
   * Counts one answered call and its latency.
   *
   * @param code - the gRPC status code's name, e.g. "OK", "NOT_FOUND" (as `Code[code]` spells it in
   *   connect-es: "NotFound" is converted to the gRPC spelling).
   * @param seconds - time from receipt to answer, in seconds.
   */
  observe(code: string, seconds: number): void;
}

/**
 * The per-method recorder of `grpc_server_handled_total` and `grpc_server_handling_seconds`
 * (the names of go-grpc-prometheus, which Grafana's gRPC dashboards read), with its label children
 * bound once so a call costs no label hashing.
 *
 * @param service - the fully qualified service name, e.g. "recsys.product.v1.ProductService".
 * @param method - the method name, e.g. "GetProduct".
 */
export function rpcMetricsFor(service: string, method: string): MethodMetrics {
  const latency = rpcLatency.labels(service, method);
  const counters = new Map<string, Counter.Internal>();
  return {
    observe(code, seconds) {
      let counter = counters.get(code);
      if (!counter) counters.set(code, (counter = rpcHandled.labels(service, method, grpcCodeName(code))));
      counter.inc();
      latency.observe(seconds);
    },
  };
}

/** "NotFound" (connect-es) → "NOT_FOUND" (the gRPC spelling, https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
function grpcCodeName(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Reports a PostgreSQL pool's connections at each scrape as `recsys_pg_pool_connections`
 * {database, state = total | idle | waiting} (node-pg's `totalCount`, `idleCount`, `waitingCount`:
 * waiting counts queued requests for a connection).
 *
 * @param pool - the pool.
 * @param database - the label naming it, e.g. "catalog".
 */
export function observePgPool(pool: pg.Pool, database: string): void {
  pgPools.set(database, pool);
}

const pgPools = new Map<string, pg.Pool>();
new Gauge({
  name: "recsys_pg_pool_connections",
  help: "PostgreSQL pool connections by state: total open, idle, and requests waiting for one.",
  labelNames: ["database", "state"] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [database, pool] of pgPools) {
      this.set({ database, state: "total" }, pool.totalCount);
      this.set({ database, state: "idle" }, pool.idleCount);
      this.set({ database, state: "waiting" }, pool.waitingCount);
    }
  },
});

/** Settings of a process's metrics endpoint, read from the environment with the rest of its config. */
export const metricsConfigSchema = {
  METRICS_HOST: z.string().min(1).default("127.0.0.1").describe("Interface of the Prometheus `GET /metrics` HTTP server."),
  METRICS_PORT: z.union([z.literal("off"), portSchema]).optional().describe("Port of the `GET /metrics` HTTP server; default the process's gRPC port + 1000 (50051 → 51051; a free port when PORT is 0); `off` serves none."),
};

/**
 * The port a process's metrics are served on.
 *
 * @param configured - METRICS_PORT as parsed ("off", a port, or undefined).
 * @param grpcPort - the process's gRPC port (0 when it picks a free one).
 * @returns the port (0: a free one), or undefined when metrics are off.
 */
export function metricsPort(configured: "off" | number | undefined, grpcPort: number): number | undefined {
  if (configured === "off") return undefined;
  if (configured !== undefined) return configured;
  return grpcPort === 0 || grpcPort + 1000 > 65535 ? 0 : grpcPort + 1000;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Serves {@link metricsRegistry} in the Prometheus text format at `GET /metrics` (any other path:
 * 404), with prom-client's process defaults (CPU seconds, resident memory, heap, event-loop lag,
 * garbage collection, open file descriptors) under their standard names.
 *
 * @param options - host and port (0: a free one), and the logger that names the address.
 * @returns the server once listening.
 * @throws the listen error (for example EADDRINUSE).
 */
export async function startMetricsServer(options: { host: string; port: number; logger: Logger }): Promise<MetricsServer> {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: metricsRegistry });
    defaultsCollected = true;
  }
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at GET /metrics\n");
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metricsRegistry.contentType }).end(text),
      (err: unknown) => {
        options.logger.warn({ err }, "metrics collection failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, "metrics at /metrics");
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts a process's metrics endpoint as its configuration says (see {@link metricsConfigSchema}).
 *
 * @param config - METRICS_HOST and METRICS_PORT as parsed.
 * @param grpcPort - the process's configured gRPC port (the default metrics port derives from it).
 * @param logger - the process logger.
 * @returns the server, or undefined when METRICS_PORT is "off".
 * @throws the listen error (for example EADDRINUSE: the process fails to start, naming the port).
 */
export async function startConfiguredMetrics(
  config: { readonly METRICS_HOST: string; readonly METRICS_PORT?: "off" | number | undefined },
  grpcPort: number,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  const port = metricsPort(config.METRICS_PORT, grpcPort);
  return port === undefined ? undefined : startMetricsServer({ host: config.METRICS_HOST, port, logger });
}
