import path from "node:path";
import type { EdgeOptions, RateLimitOptions, Upstreams } from "../../envoy/render-config.js";
import { startEnvoy, writeEnvoyConfig, type EnvoyHandle } from "./envoy.js";
import { startKafka, type KafkaHandle } from "./kafka.js";
import { REPO_ROOT } from "./paths.js";
import { startPostgres, type PostgresHandle } from "./postgres.js";
import { startRedis, type RedisHandle } from "./redis.js";

/** TCP ports of the local stack, all on 127.0.0.1. */
export interface InfraPorts {
  readonly postgres: number;
  readonly redis: number;
  readonly kafka: number;
  readonly kafkaController: number;
  readonly envoy: number;
  readonly envoyAdmin: number;
}

/** A named set of ports and a data directory; two presets can run at the same time. */
export interface InfraPreset {
  /** "dev" or "test", used in messages. */
  readonly name: string;
  /** Where the servers keep their data, pidfiles and logs (`<dataDir>/logs/<server>.log`). */
  readonly dataDir: string;
  /** The ports. */
  readonly ports: InfraPorts;
  /** Run PostgreSQL with fsync, synchronous_commit and full_page_writes off (test data only). */
  readonly unsafeFast: boolean;
}

/** `npm start`: the usual ports, data kept in `<repo>/.run/dev`, durable PostgreSQL. */
export const devPorts: InfraPreset = {
  name: "dev",
  dataDir: path.join(REPO_ROOT, ".run", "dev"),
  ports: { postgres: 5432, redis: 6379, kafka: 9092, kafkaController: 9093, envoy: 8080, envoyAdmin: 9901 },
  unsafeFast: false,
};

/** Test runs: ports below Linux's ephemeral range (32768-60999, where an outgoing connection may briefly hold one), data in `<repo>/.run/test`, PostgreSQL with fsync off. */
export const testPorts: InfraPreset = {
  name: "test",
  dataDir: path.join(REPO_ROOT, ".run", "test"),
  ports: { postgres: 25432, redis: 26379, kafka: 29092, kafkaController: 29093, envoy: 28080, envoyAdmin: 29901 },
  unsafeFast: true,
};

/** Options of {@link startInfra}: a preset (or a variant of one) and what else to do. */
export interface StartInfraOptions extends InfraPreset {
  /** Delete the servers' data before starting (fresh database cluster, no topics). Default false. */
  readonly reset?: boolean;
  /**
   * Also start Envoy, with a configuration rendered into `<dataDir>/envoy/envoy.yaml`. Its upstreams
   * need not be up yet. Omit to start no Envoy. Besides the fields below it takes the edge options
   * of `EdgeOptions` (envoy/render-config.ts): `maxRequestBytes` (default 1 MiB), `corsAllowedOrigins`
   * (default none) and `tls` (default none; with it `Infra.envoy.url` is `https://`).
   */
  readonly envoy?: {
    /** The descriptor set built by `buf build` (envoy/descriptor.binpb). */
    readonly descriptorPath: string;
    /** Where the four services listen. */
    readonly upstreams: Upstreams;
    /** The per-client-address rate limit (default `DEFAULT_RATE_LIMIT`, 1,000 requests/s); `false` turns it off. */
    readonly rateLimit?: RateLimitOptions | false;
  } & EdgeOptions;
}

/** The running local stack returned by {@link startInfra}. */
export interface Infra {
  /** The options it was started with. */
  readonly options: StartInfraOptions;
  readonly postgres: PostgresHandle;
  readonly redis: RedisHandle;
  readonly kafka: KafkaHandle;
  /** Present when `options.envoy` was given. */
  readonly envoy: EnvoyHandle | undefined;
  /** `redis://127.0.0.1:<port>`. */
  readonly redisUrl: string;
  /** Bootstrap servers for kafkajs, `["127.0.0.1:<port>"]`. */
  readonly kafkaBrokers: readonly string[];
  /**
   * URL of the `recsys` superuser on a database: `postgres://recsys:recsys@127.0.0.1:<port>/<database>`.
   * The database is not created: see {@link PostgresHandle.ensureDatabase}.
   */
  pgUrlFor(database: string): string;
  /**
   * Stops one server while the rest keep running (fault tests, benchmarks): PostgreSQL and Kafka keep
   * their data directories, Redis (which persists nothing) loses its data. A no-op when it is stopped.
   */
  stopServer(name: RestartableServer): Promise<void>;
  /**
   * Starts again a server stopped by {@link Infra.stopServer}, on the same port and data directory
   * (never reset; Redis comes back empty), and waits until it is ready; its handle property then
   * names the new process. A no-op when it runs.
   *
   * @throws as the server's start function does (for example PortInUseError).
   */
  startServer(name: RestartableServer): Promise<void>;
  /**
   * Starts Envoy again with the same configuration, ports and log (after it exited or was killed;
   * a running one is stopped first), and waits until it is ready; `envoy` then names the new process.
   *
   * @returns the new handle.
   * @throws Error when the stack runs no Envoy, or as the start does (PortInUseError, not ready).
   */
  restartEnvoy(): Promise<EnvoyHandle>;
  /** Stops Envoy, then PostgreSQL, Redis and Kafka in parallel; resolves when all have exited. */
  stop(): Promise<void>;
}

/** The servers of the stack that {@link Infra.stopServer} and {@link Infra.startServer} handle. */
export type RestartableServer = "postgres" | "redis" | "kafka";

/** Anything {@link startInfra} starts. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Waits for starts running in parallel; if any failed, stops those that started and throws one
 * error carrying every failure's message.
 */
async function settleAll(starts: readonly Promise<Stoppable | undefined>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length === 0) return;
  await Promise.allSettled(results.map((r) => (r.status === "fulfilled" ? r.value?.stop() : undefined)));
  const messages = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
  throw new Error(`local infrastructure failed to start:\n${messages.join("\n\n")}`, { cause: failures[0]?.reason });
}

/**
 * Starts PostgreSQL, Redis and Kafka (and Envoy when asked) in parallel from the binaries installed
 * by `npm run provision`, as children of this process: they stop with it (see spawnManaged in
 * managed-process.ts). Typical use: `const infra = await startInfra(testPorts)` in a vitest
 * globalSetup, `startInfra({ ...devPorts, envoy: {...} })` in `npm start`.
 *
 * Nothing is reused: if a port is taken (by another program, or by a stack another running process
 * started from the same data directory), start-up fails with a message naming the port.
 *
 * @param options - a preset such as {@link devPorts} or {@link testPorts}, possibly with overrides.
 * @returns the running stack and its connection details.
 * @throws Error listing every server that failed (missing binaries name `npm run provision`, taken
 *   ports name the port, start failures carry the server's log tail); the others are stopped first.
 */
export async function startInfra(options: StartInfraOptions): Promise<Infra> {
  const { dataDir, ports } = options;
  const logFile = (name: string): string => path.join(dataDir, "logs", `${name}.log`);
  const reset = options.reset ?? false;
  const envoyOptions = options.envoy;
  const startConfiguredEnvoy = (o: NonNullable<StartInfraOptions["envoy"]>): Promise<EnvoyHandle> =>
    startEnvoy({
      dataDir,
      port: ports.envoy,
      adminPort: ports.envoyAdmin,
      logFile: logFile("envoy"),
      configPath: writeEnvoyConfig({ dataDir, port: ports.envoy, adminPort: ports.envoyAdmin, ...o }),
      tls: o.tls !== undefined,
    });
  const starters = {
    postgres: (reset: boolean) =>
      startPostgres({ dataDir, port: ports.postgres, logFile: logFile("postgres"), unsafeFast: options.unsafeFast, reset }),
    redis: (reset: boolean) => startRedis({ dataDir, port: ports.redis, logFile: logFile("redis"), reset }),
    kafka: (reset: boolean) =>
      startKafka({ dataDir, port: ports.kafka, controllerPort: ports.kafkaController, logFile: logFile("kafka"), reset }),
  };
  const starting = [
    starters.postgres(reset),
    starters.redis(reset),
    starters.kafka(reset),
    envoyOptions === undefined ? Promise.resolve(undefined) : startConfiguredEnvoy(envoyOptions),
  ] as const;
  await settleAll(starting);
  // All fulfilled now: this only collects the values, with their types.
  const [postgres, redis, kafka, firstEnvoy] = await Promise.all(starting);
  let envoy = firstEnvoy;
  const current: { postgres: PostgresHandle; redis: RedisHandle; kafka: KafkaHandle } = { postgres, redis, kafka };
  const stopped = new Set<RestartableServer>();
  return {
    options,
    get postgres() {
      return current.postgres;
    },
    get redis() {
      return current.redis;
    },
    get kafka() {
      return current.kafka;
    },
    get envoy() {
      return envoy;
    },
    async restartEnvoy() {
      if (envoyOptions === undefined || envoy === undefined) throw new Error("this stack runs no Envoy");
      await envoy.stop();
      envoy = await startConfiguredEnvoy(envoyOptions);
      return envoy;
    },
    redisUrl: redis.url,
    kafkaBrokers: kafka.brokers,
    pgUrlFor: (database) => postgres.urlFor(database),
    async stopServer(name) {
      if (stopped.has(name)) return;
      stopped.add(name);
      await current[name].stop();
    },
    async startServer(name) {
      if (!stopped.has(name)) return;
      const handle = await starters[name](false);
      (current as Record<RestartableServer, unknown>)[name] = handle;
      stopped.delete(name);
    },
    async stop(): Promise<void> {
      await envoy?.stop();
      await Promise.allSettled([current.postgres.stop(), current.redis.stop(), current.kafka.stop()]);
    },
  };
}
