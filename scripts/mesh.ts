import { edgeOptionsFromEnv, type RateLimitOptions } from "../envoy/render-config.js";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { importMovieLens, type ImportMovieLensResult } from "./movielens-import.js";
import { isServing } from "./infra/grpc-health.js";
import { claimPorts, runCommand, spawnManaged, StartFailedError, waitUntilReady, type ManagedProcess } from "./infra/managed-process.js";
import { loadNewestValidArtifact, ncfArtifactRoot } from "../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { REPO_ROOT } from "./infra/paths.js";
import { startInfra, type Infra, type InfraPreset } from "./infra/stack.js";
import { DEFAULT_RESTART_POLICY, Supervisor, type RestartPolicy } from "./infra/supervisor.js";
import { DEV_SERVICE_TOKEN } from "../services/shared/src/access-control.js";
import { DEV_JWT_SECRET } from "../services/shared/src/access-token.js";
import { defaultMovieLensDir } from "../services/shared/src/movielens.js";
import { ensureConsoleBuilt } from "./console/build.js";


/** The four services of the mesh. */
export type ServiceName = "recommendation" | "product" | "user" | "engagement";

/** gRPC ports of the four services. */
export type ServicePorts = Readonly<Record<ServiceName, number>>;

/** The ports `npm start` uses: recommendation 50051, product 50052, user 50053, engagement 50054. */
export const DEFAULT_SERVICE_PORTS: ServicePorts = { recommendation: 50051, product: 50052, user: 50053, engagement: 50054 };

/** Service ports of the test mesh, below the ephemeral port range, so tests can run beside `npm start`. */
export const TEST_SERVICE_PORTS: ServicePorts = { recommendation: 21051, product: 21052, user: 21053, engagement: 21054 };

/** The web console's file server listens on the recommendation port + this (52251 for `npm start`). */
export const CONSOLE_PORT_OFFSET = 2200;

/** The module every service and consumer process loads with `--import` before its entry point (tracing, when configured). */
export const TRACING_REGISTER = "./services/shared/src/tracing-register.ts";

/** The Envoy descriptor set, built from proto/ by `buf build`. */
export const DESCRIPTOR_PATH = path.join(REPO_ROOT, "envoy", "descriptor.binpb");

/** Options of {@link startMesh}. */
export interface MeshOptions {
  /** The infrastructure preset (ports and data directory), for example `devPorts`. */
  readonly preset: InfraPreset;
  /** Delete the servers' data first (fresh databases, topics and Redis). Default false. */
  readonly reset?: boolean;
  /** Where the services listen. */
  readonly servicePorts: ServicePorts;
  /** MovieLens directory; default {@link defaultMovieLensDir}. */
  readonly movieLensDir?: string;
  /** Extra environment for every service process (for example `LOG_LEVEL`). */
  readonly serviceEnv?: NodeJS.ProcessEnv;
  /** Receives one human line per start-up step. */
  readonly onStep?: (line: string) => void;
  /**
   * Train a NeuMF model (services/recommendation/src/offline/cli/train.ts, as `npm run train`) when `<dataDir>/models` holds no valid
   * artifact yet. Default false: without a model the recommendation service serves content and
   * trending only.
   */
  readonly train?: boolean;
  /**
   * Run the retrainer (services/recommendation/src/offline/cli/retrain.ts) beside the services:
   * it trains NeuMF in the background (at once when `<dataDir>/models` has no model, then on its
   * schedule and event count), so the mesh is ready before the first training ends. `env` adds
   * its settings (RETRAIN_*). Default: no retrainer. Supervised like the services.
   */
  readonly retrainer?: { readonly env?: NodeJS.ProcessEnv };
  /** Extra `npm run train` arguments, for example `["--epochs", "2"]` for a quick test mesh. */
  readonly trainArgs?: readonly string[];
  /** "inherit" shows the training's epoch lines on this process's stdout; default: log file only. */
  readonly trainOutput?: "inherit" | "log";
  /** How the importer reports progress (default: bars on a terminal, else lines). */
  readonly importProgress?: "bars" | "lines" | "silent";
  /**
   * Extra replicas of the product, user or engagement service, by the ports they listen on (for
   * example `{ engagement: [21335] }`): each runs as process `<service>-2`, `<service>-3`, … with the
   * same environment, and Envoy balances requests over every replica. Default none.
   */
  readonly extraReplicas?: Partial<Record<Exclude<ServiceName, "recommendation">, readonly number[]>>;
  /**
   * More trending consumers in the same consumer group (default 0): process
   * `trending-consumer-2`, `-3`, …, with metrics on the recommendation port + 1500 + i and health on
   * + 2000 + i. The group splits the topic's partitions (3) among them; more consumers than
   * partitions leaves the extra ones idle.
   */
  readonly extraConsumers?: number;
  /**
   * Envoy's per-client-address rate limit (default `DEFAULT_RATE_LIMIT` of envoy/render-config.ts,
   * 1,000 requests/s); `false` turns it off, for load generators that send everything from one address.
   */
  readonly envoyRateLimit?: RateLimitOptions | false;
  /**
   * Extra Node.js options of the service and consumer processes, placed before the entry point, for
   * example `["--cpu-prof", "--cpu-prof-dir=…"]` (options NODE_OPTIONS may not carry). Default none.
   */
  readonly serviceNodeArgs?: readonly string[];
  /**
   * How long the recommendation service may take to report SERVING, in ms (default 300,000): it
   * loads the catalog and builds the content model on first start, which takes minutes on a
   * synthetic catalog of 1,000,000 items.
   */
  readonly recommendationReadyTimeoutMs?: number;
  /** Also build and serve the web console (see {@link MeshConsoleOptions}). Default: no console. */
  readonly console?: MeshConsoleOptions;
  /**
   * Supervise the service and consumer processes and Envoy once the mesh is up: one that exits unexpectedly
   * (a crash, `kill -9`) is started again with back-off, and `onCrashLoop` is called when one exits
   * more often than the policy allows (scripts/infra/supervisor.ts). Default: not supervised (a
   * process that exits stays down, as the fault tests that restart one themselves expect).
   * `npm start` supervises.
   */
  readonly supervise?: {
    /** Back-off and crash-loop limits (default {@link DEFAULT_RESTART_POLICY}). */
    readonly policy?: RestartPolicy;
    /** Called when a process crash-loops; the mesh keeps running without it until stopped. */
    readonly onCrashLoop: (name: string, detail: string) => void;
  };
}

/**
 * The web console (services/console): built with Vite when its sources are newer than the build
 * (scripts/console/build.ts), served by process `console` (services/console/server/main.ts) on
 * `port` (loopback, plain HTTP), and routed by Envoy on the REST port at `/` and `/assets/*`.
 */
export interface MeshConsoleOptions {
  /** The file server's port; `npm start` uses the recommendation port + 2200 (52251). */
  readonly port: number;
}

/** A running mesh: infrastructure, the four services, the trending consumer and Envoy. */
export interface Mesh {
  /** PostgreSQL, Redis, Kafka and Envoy. */
  readonly infra: Infra;
  /** `host:port` of each service. */
  readonly addresses: Readonly<Record<ServiceName, string>>;
  /** Envoy's REST base URL, `http://127.0.0.1:<port>`. */
  readonly restUrl: string;
  /** The web console's URL on Envoy (`<restUrl>/`), when `MeshOptions.console` asked for one. */
  readonly consoleUrl: string | undefined;
  /** What the MovieLens import did. */
  readonly imported: ImportMovieLensResult;
  /** The service and consumer processes, by name. */
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  /** Milliseconds spent in each start-up step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Database name of each service. */
  readonly databases: Readonly<Record<ServiceName, string>>;
  /**
   * Where each process serves Prometheus metrics, `http://127.0.0.1:<port>/metrics`, by process
   * name (the four services, their extra replicas, "trending-consumer" and its extra consumers): a
   * service's gRPC port + 1000, the consumers' the recommendation port + 1500 (+ 1, + 2, …).
   */
  readonly metricsUrls: Readonly<Record<string, string>>;
  /** The supervisor restarting crashed processes, when `MeshOptions.supervise` asked for one. */
  readonly supervisor: Supervisor | undefined;
  /**
   * Starts one of the mesh's processes again (after it was stopped or killed), with the same
   * environment, and waits until it is ready. Under supervision, the exit this causes is not
   * restarted a second time.
   */
  restart(name: string): Promise<ManagedProcess>;
  /** Stops everything, in reverse order of start. */
  stop(): Promise<void>;
}

const DATABASES: Readonly<Record<ServiceName, string>> = {
  recommendation: "recsys_recommendation",
  product: "recsys_product",
  user: "recsys_user",
  engagement: "recsys_engagement",
};

/**
 * Builds `envoy/descriptor.binpb` with `buf build` when it is missing or older than a proto file.
 *
 * @returns the descriptor path.
 * @throws Error when buf fails (its output included).
 */
export async function ensureDescriptorSet(): Promise<string> {
  const newestProto = newestMtime(path.join(REPO_ROOT, "proto"));
  if (existsSync(DESCRIPTOR_PATH) && statSync(DESCRIPTOR_PATH).mtimeMs >= newestProto) return DESCRIPTOR_PATH;
  const buf = path.join(REPO_ROOT, "node_modules", ".bin", "buf");
  await runCommand([buf, "build", path.join(REPO_ROOT, "proto"), "-o", DESCRIPTOR_PATH]);
  return DESCRIPTOR_PATH;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".proto")) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Envoy upstreams of a service: its primary port and its extra replicas' ports, on 127.0.0.1. */
function replicaUpstreams(primary: number, extra: readonly number[] = []): { host: string; port: number }[] {
  return [primary, ...extra].map((port) => ({ host: "127.0.0.1", port }));
}

/**
 * Runs `services/recommendation/src/offline/cli/train.ts` to completion as a child process (TensorFlow.js stays out of this
 * process), appending its output to a log file and, when asked, echoing it.
 *
 * @throws Error with the log's tail when training exits non-zero.
 */
async function runTraining(options: { args: readonly string[]; env: NodeJS.ProcessEnv; logFile: string; echo: boolean }): Promise<void> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(process.execPath, ["--import", "tsx", "services/recommendation/src/offline/cli/train.ts", ...options.args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk: Buffer) => {
      log.write(chunk);
      if (options.echo) process.stdout.write(chunk);
    });
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (status) => resolve(status));
  });
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) throw new StartFailedError("train", `exited with status ${String(code)}`, options.logFile);
}

/** One process of the mesh: a service or the consumer. */
interface ProcessSpec {
  readonly name: string;
  readonly entry: string;
  readonly port: number | undefined;
  readonly healthService: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** How long start-up may take, in ms (the recommendation service builds its models). */
  readonly readyTimeoutMs: number;
  /** An HTTP URL that answers 200 once the process is ready, for processes without gRPC health (the console). */
  readonly readyUrl?: string;
}

/**
 * Starts the whole mesh on real servers: PostgreSQL, Redis, Kafka and Envoy (see startInfra), the
 * MovieLens import (idempotent), then the product, user and engagement services, the
 * recommendation service (which builds its models on first start) and the trending consumer, each
 * as a child process running its own `main.ts`, waiting for each to report SERVING on
 * `grpc.health.v1.Health`.
 *
 * @param options - ports, data directory and MovieLens location.
 * @returns the running mesh; call `stop()` to end it.
 * @throws Error naming the step and component that failed (with its log tail); whatever had
 *   started is stopped first.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const step = options.onStep ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    timings[name] = Math.round(performance.now() - started);
    return result;
  };
  const ports = options.servicePorts;
  const addresses = {
    recommendation: `127.0.0.1:${ports.recommendation}`,
    product: `127.0.0.1:${ports.product}`,
    user: `127.0.0.1:${ports.user}`,
    engagement: `127.0.0.1:${ports.engagement}`,
  } as const;

  const descriptorPath = await timed("descriptor", ensureDescriptorSet);
  if (options.console) {
    const { built } = await timed("console build", () => ensureConsoleBuilt());
    if (built) step("built the web console (vite build → services/console/dist)");
  }
  step(`starting PostgreSQL :${options.preset.ports.postgres}, Redis :${options.preset.ports.redis}, Kafka :${options.preset.ports.kafka}, Envoy :${options.preset.ports.envoy}`);
  const infra = await timed("infrastructure", () =>
    startInfra({
      ...options.preset,
      reset: options.reset ?? false,
      envoy: {
        descriptorPath,
        upstreams: {
          recommendation: { host: "127.0.0.1", port: ports.recommendation },
          product: replicaUpstreams(ports.product, options.extraReplicas?.product),
          user: replicaUpstreams(ports.user, options.extraReplicas?.user),
          engagement: replicaUpstreams(ports.engagement, options.extraReplicas?.engagement),
          ...(options.console ? { console: { host: "127.0.0.1", port: options.console.port } } : {}),
        },
        ...(options.envoyRateLimit !== undefined ? { rateLimit: options.envoyRateLimit } : {}),
        // ENVOY_MAX_REQUEST_BYTES, CORS_ALLOWED_ORIGINS, ENVOY_TLS_CERT_FILE/ENVOY_TLS_KEY_FILE, OTEL_* (tracing),
        // from the environment or the services' extra environment.
        ...edgeOptionsFromEnv({ ...process.env, ...options.serviceEnv }),
      },
    }),
  );
  const processes = new Map<string, ManagedProcess>();
  const specs = new Map<string, ProcessSpec>();
  let supervisor: Supervisor | undefined;
  const stopAll = async (): Promise<void> => {
    supervisor?.close();
    for (const proc of [...processes.values()].reverse()) await proc.stop();
    await infra.stop();
  };

  try {
    step(`importing MovieLens`);
    const imported = await timed("import", () =>
      importMovieLens({
        movieLensDir: options.movieLensDir ?? defaultMovieLensDir(),
        productDatabaseUrl: infra.pgUrlFor(DATABASES.product),
        userDatabaseUrl: infra.pgUrlFor(DATABASES.user),
        engagementDatabaseUrl: infra.pgUrlFor(DATABASES.engagement),
        progress: options.importProgress,
      }),
    );
    await infra.postgres.ensureDatabase(DATABASES.recommendation);

    const common: NodeJS.ProcessEnv = {
      // Access control: the user and engagement services must share the JWT secret; every service
      // knows the service token (the development defaults unless the environment sets them).
      JWT_SECRET: DEV_JWT_SECRET,
      SERVICE_TOKEN: DEV_SERVICE_TOKEN,
      ...process.env,
      ...options.serviceEnv,
      HOST: "127.0.0.1",
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(","),
      PRODUCT_SERVICE_ADDR: addresses.product,
      USER_SERVICE_ADDR: addresses.user,
      ENGAGEMENT_SERVICE_ADDR: addresses.engagement,
    };
    const serviceSpec = (name: ServiceName, typeName: string, readyTimeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): ProcessSpec => ({
      name,
      entry: `services/${name}/src/main.ts`,
      port: ports[name],
      healthService: typeName,
      readyTimeoutMs,
      env: { ...common, PORT: String(ports[name]), METRICS_PORT: String(ports[name] + 1000), DATABASE_URL: infra.pgUrlFor(DATABASES[name]), ...env },
    });
    const metricsUrls: Record<string, string> = {};
    const start = async (spec: ProcessSpec): Promise<ManagedProcess> => {
      specs.set(spec.name, spec);
      if (spec.env.METRICS_PORT && spec.env.METRICS_PORT !== "off") metricsUrls[spec.name] = `http://127.0.0.1:${spec.env.METRICS_PORT}/metrics`;
      const pidFile = path.join(options.preset.dataDir, `${spec.name}.pid`);
      const portList = spec.port === undefined ? [] : [spec.port];
      await claimPorts(spec.name, pidFile, portList);
      const proc = await spawnManaged({
        name: spec.name,
        command: process.execPath,
        // tracing-register.ts installs OpenTelemetry before the entry point when OTEL_TRACES_EXPORTER=otlp, else does nothing.
        args: [...(options.serviceNodeArgs ?? []), "--import", "tsx", "--import", TRACING_REGISTER, spec.entry],
        cwd: REPO_ROOT,
        env: spec.env,
        logFile: path.join(options.preset.dataDir, "logs", `${spec.name}.log`),
        pidFile,
        ports: portList,
      });
      processes.set(spec.name, proc);
      if (spec.port !== undefined && spec.healthService !== undefined) {
        const address = `127.0.0.1:${spec.port}`;
        const healthService = spec.healthService;
        await waitUntilReady(proc, () => isServing(address, healthService), {
          timeoutMs: spec.readyTimeoutMs,
          intervalMs: 200,
        });
      } else if (spec.readyUrl !== undefined) {
        const url = spec.readyUrl;
        const answers = (): Promise<boolean> =>
          fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
            (res) => res.ok,
            () => false,
          );
        await waitUntilReady(proc, answers, { timeoutMs: spec.readyTimeoutMs, intervalMs: 100 });
      }
      return proc;
    };

    step(`starting ProductService :${ports.product}, UserService :${ports.user}, EngagementService :${ports.engagement}`);
    await timed("core services", () =>
      Promise.all([
        start(serviceSpec("product", "recsys.product.v1.ProductService")),
        start(serviceSpec("user", "recsys.user.v1.UserService")),
        start(serviceSpec("engagement", "recsys.engagement.v1.EngagementService")),
      ]),
    );
    if (options.console) {
      const port = options.console.port;
      step(`starting the web console's file server :${port} (served by Envoy at /)`);
      await timed("console", () =>
        start({
          name: "console",
          entry: "services/console/server/main.ts",
          port,
          healthService: undefined,
          readyUrl: `http://127.0.0.1:${port}/healthz`,
          readyTimeoutMs: 30_000,
          env: { ...common, HOST: "127.0.0.1", PORT: String(port), METRICS_PORT: "off" },
        }),
      );
    }
    for (const [name, extraPorts] of Object.entries(options.extraReplicas ?? {}) as [ServiceName, readonly number[]][]) {
      const primary = serviceSpec(name, `recsys.${name}.v1.${name[0]!.toUpperCase()}${name.slice(1)}Service`);
      step(`starting ${extraPorts.length} more replica(s) of ${name} on ${extraPorts.join(", ")}`);
      await Promise.all(
        extraPorts.map((port, i) => start({ ...primary, name: `${name}-${i + 2}`, port, env: { ...primary.env, PORT: String(port), METRICS_PORT: String(port + 1000) } })),
      );
    }
    const modelDir = path.join(options.preset.dataDir, "models");
    if (options.train === true && (await loadNewestValidArtifact(ncfArtifactRoot(modelDir))).artifact === undefined) {
      step(`no NeuMF model yet: training one (npm run train${options.trainArgs?.length ? ` -- ${options.trainArgs.join(" ")}` : ""})`);
      await timed("train", () =>
        runTraining({
          args: options.trainArgs ?? [],
          env: { ...common, MODEL_DIR: modelDir },
          logFile: path.join(options.preset.dataDir, "logs", "train.log"),
          echo: options.trainOutput === "inherit",
        }),
      );
    }
    step(`starting RecommendationService :${ports.recommendation} (builds the models on first start) and the trending consumer`);
    await timed("recommendation", () =>
      Promise.all([
        start(
          serviceSpec("recommendation", "recsys.recommendation.v1.RecommendationService", options.recommendationReadyTimeoutMs ?? 300_000, {
            MODEL_DIR: modelDir,
          }),
        ),
        // Ready once it has joined the consumer group and reaches Redis and Kafka (its gRPC health
        // on the recommendation port + 2000, readiness under "").
        ...Array.from({ length: 1 + (options.extraConsumers ?? 0) }, (_, i) =>
          start({
            name: i === 0 ? "trending-consumer" : `trending-consumer-${i + 1}`,
            entry: "services/recommendation/src/stream/main.ts",
            port: ports.recommendation + 2000 + i,
            healthService: "",
            readyTimeoutMs: 120_000,
            env: { ...common, METRICS_PORT: String(ports.recommendation + 1500 + i), HEALTH_PORT: String(ports.recommendation + 2000 + i) },
          }),
        ),
      ]),
    );
    if (options.retrainer) {
      step(`starting the retrainer (NeuMF trains in the background; logs/retrainer.log)`);
      await start({
        name: "retrainer",
        entry: "services/recommendation/src/offline/cli/retrain.ts",
        // gRPC health on the recommendation port + 2100, metrics on + 1600 (52151 and 51651 for npm start).
        port: ports.recommendation + 2100,
        healthService: "",
        readyTimeoutMs: 60_000,
        env: {
          ...common,
          MODEL_DIR: modelDir,
          METRICS_PORT: String(ports.recommendation + 1600),
          HEALTH_PORT: String(ports.recommendation + 2100),
          ...options.retrainer.env,
        },
      });
    }
    if (options.supervise) {
      const active = new Supervisor(options.supervise.policy ?? DEFAULT_RESTART_POLICY, { log: step, onCrashLoop: options.supervise.onCrashLoop });
      for (const [name, proc] of processes) active.supervise(name, proc, () => start(specs.get(name)!));
      // Envoy too: without it REST stops. (PostgreSQL, Redis and Kafka are dependencies the
      // processes ride out — their outages are the fault tests' subject — and are not restarted.)
      if (infra.envoy) active.supervise("envoy", infra.envoy.process, async () => (await infra.restartEnvoy()).process);
      supervisor = active;
    }
    return {
      infra,
      addresses,
      restUrl: infra.envoy?.url ?? `http://127.0.0.1:${options.preset.ports.envoy}`,
      consoleUrl: options.console ? `${infra.envoy?.url ?? `http://127.0.0.1:${options.preset.ports.envoy}`}/` : undefined,
      imported,
      processes,
      timings,
      databases: DATABASES,
      metricsUrls,
      supervisor,
      async restart(name) {
        const spec = specs.get(name);
        if (spec === undefined) throw new Error(`no mesh process named ${name}`);
        supervisor?.expectReplacement(name);
        await processes.get(name)?.stop();
        const next = await start(spec);
        supervisor?.supervise(name, next, () => start(spec));
        return next;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
