import { createServer, type Server } from "node:net";
import path from "node:path";
import { defaultMovieLensDir } from "../../services/shared/src/movielens.js";
import { REPO_ROOT } from "../infra/paths.js";
import type { InfraPorts } from "../infra/stack.js";
import { startMesh, type Mesh, type MeshOptions, type ServicePorts } from "../mesh.js";
import { writeMovieLensSubset } from "./movielens-subset.js";

/** Options of {@link startOwnMesh}. */
export interface OwnMeshOptions {
  /** Name of the preset; the data directory is `<repo>/.run/<name>`. */
  readonly name: string;
  /** Infrastructure ports, distinct from every other mesh's (never the test or dev ports). */
  readonly ports: InfraPorts;
  /** gRPC ports of the four services. */
  readonly servicePorts: ServicePorts;
  /** Extra environment of every service process. */
  readonly serviceEnv?: NodeJS.ProcessEnv;
  /** Use the whole MovieLens dataset instead of the 300-movie subset (default false). */
  readonly fullMovieLens?: boolean;
  /**
   * A MovieLens-shaped directory to import instead (movies.csv, ratings.csv, tags.csv, links.csv,
   * for example a synthetic catalog of synthetic-catalog.ts); takes precedence over `fullMovieLens`,
   * and needs no MovieLens download.
   */
  readonly movieLensDir?: string;
  /** How long the recommendation service may take to start, in ms (see `MeshOptions.recommendationReadyTimeoutMs`). */
  readonly recommendationReadyTimeoutMs?: number;
  /** Extra service replicas (see `MeshOptions.extraReplicas`). */
  readonly extraReplicas?: MeshOptions["extraReplicas"];
  /** How long to wait for another private mesh to finish, in ms (default 600000). */
  readonly lockTimeoutMs?: number;
  /** Train a NeuMF model at start with these `npm run train` arguments (default: no model). */
  readonly trainArgs?: readonly string[];
  /** Run the NeuMF retrainer (see `MeshOptions.retrainer`; default not started). */
  readonly retrainer?: MeshOptions["retrainer"];
  /** Envoy's per-client-address rate limit (see `MeshOptions.envoyRateLimit`; default 1,000 requests/s). */
  readonly envoyRateLimit?: MeshOptions["envoyRateLimit"];
  /** Extra Node.js options of the service processes (see `MeshOptions.serviceNodeArgs`). */
  readonly serviceNodeArgs?: MeshOptions["serviceNodeArgs"];
  /** Restart crashed processes (see `MeshOptions.supervise`; default not supervised). */
  readonly supervise?: MeshOptions["supervise"];
  /** More trending consumers in the group (see `MeshOptions.extraConsumers`; default 0). */
  readonly extraConsumers?: number;
  /** Build and serve the web console (see `MeshOptions.console`; default none). */
  readonly console?: MeshOptions["console"];
}

/**
 * The service token (`SERVICE_TOKEN`) of every private mesh: tests and benchmarks send it as
 * `authorization: Bearer <token>`, as internal callers do, to record events for any user.
 */
export const OWN_MESH_SERVICE_TOKEN = "own-mesh-service-token-for-faults-and-benchmarks";

/** The headers that authenticate a caller to a private mesh as an internal service. */
export const OWN_MESH_AUTH_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${OWN_MESH_SERVICE_TOKEN}` };

/** TCP port held (listened on) by the one process that runs a private mesh now, as a mutex. */
export const OWN_MESH_LOCK_PORT = 27_999;

/**
 * Waits until no other process runs a private mesh ({@link startOwnMesh}), then holds the lock: a
 * listening socket on 127.0.0.1:{@link OWN_MESH_LOCK_PORT}, which the kernel frees if this process
 * dies, so a crashed run never leaves a stale lock. The 2-core machines cannot run two meshes at
 * once without distorting timings, and vitest may run fault-test files in parallel workers.
 *
 * @param timeoutMs - how long to wait, in ms.
 * @returns a function that releases the lock.
 * @throws Error when the lock is still held after `timeoutMs`.
 */
export async function acquireMeshLock(timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = await new Promise<Server | undefined>((resolve, reject) => {
      const s = createServer();
      s.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(undefined) : reject(err)));
      s.listen({ port: OWN_MESH_LOCK_PORT, host: "127.0.0.1", exclusive: true }, () => resolve(s));
    });
    if (server) {
      server.unref();
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (Date.now() > deadline) throw new Error(`another private mesh still runs after ${timeoutMs} ms (port ${OWN_MESH_LOCK_PORT} held)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Starts a private mesh (PostgreSQL, Redis, Kafka, Envoy, the four services and the trending
 * consumer) for fault tests and benchmarks, on its own ports and fresh data in `.run/<name>`, with
 * a 300-movie MovieLens subset (`.run/movielens-subset`) so that import and model build take seconds,
 * the whole of MovieLens (`fullMovieLens`) or any MovieLens-shaped directory (`movieLensDir`).
 *
 * Only one private mesh runs at a time on the machine (see {@link acquireMeshLock}); the lock is
 * released by the returned mesh's `stop()`.
 *
 * @param options - name, ports and environment.
 * @returns the running mesh; call `stop()` at the end.
 * @throws Error when MovieLens is not found (set MOVIELENS_DIR) and no `movieLensDir` was given, or
 *   a component fails to start.
 */
export async function startOwnMesh(options: OwnMeshOptions): Promise<Mesh> {
  const full = options.movieLensDir === undefined ? defaultMovieLensDir() : undefined;
  if (options.movieLensDir === undefined && full === undefined) throw new Error("MovieLens ml-latest-small not found: set MOVIELENS_DIR");
  const release = await acquireMeshLock(options.lockTimeoutMs ?? 600_000);
  try {
    const movieLensDir =
      options.movieLensDir ??
      (options.fullMovieLens
        ? full!
        : await writeMovieLensSubset({ sourceDir: full!, targetDir: path.join(REPO_ROOT, ".run", "movielens-subset") }));
    const mesh = await startMesh({
      preset: { name: options.name, dataDir: path.join(REPO_ROOT, ".run", options.name), ports: options.ports, unsafeFast: true },
      reset: true,
      servicePorts: options.servicePorts,
      ...(options.extraReplicas ? { extraReplicas: options.extraReplicas } : {}),
      ...(options.trainArgs ? { train: true, trainArgs: options.trainArgs } : {}),
      ...(options.retrainer ? { retrainer: options.retrainer } : {}),
      ...(options.envoyRateLimit !== undefined ? { envoyRateLimit: options.envoyRateLimit } : {}),
      ...(options.serviceNodeArgs ? { serviceNodeArgs: options.serviceNodeArgs } : {}),
      ...(options.supervise ? { supervise: options.supervise } : {}),
      ...(options.extraConsumers ? { extraConsumers: options.extraConsumers } : {}),
      ...(options.console ? { console: options.console } : {}),
      ...(options.recommendationReadyTimeoutMs !== undefined ? { recommendationReadyTimeoutMs: options.recommendationReadyTimeoutMs } : {}),
      movieLensDir,
      importProgress: "silent",
      serviceEnv: { LOG_LEVEL: "info", SERVICE_TOKEN: OWN_MESH_SERVICE_TOKEN, ...options.serviceEnv },
    });
    return {
      ...mesh,
      // The spread copies getters' values; processes and restart() keep working on the same maps.
      infra: mesh.infra,
      async stop() {
        try {
          await mesh.stop();
        } finally {
          await release();
        }
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

/** Port sets of the fault-test meshes, one per test file (none overlaps the dev, test or helper ports). */
export const FAULT_MESH_PORTS = {
  consumerKill: { infra: infraPorts(0), services: servicePorts(21_311) },
  kafkaOutage: { infra: infraPorts(1), services: servicePorts(21_315) },
  redisRestart: { infra: infraPorts(2), services: servicePorts(21_321) },
  postgresStop: { infra: infraPorts(3), services: servicePorts(21_325) },
  serviceSigterm: { infra: infraPorts(4), services: servicePorts(21_331) },
  openapiFuzz: { infra: infraPorts(5), services: servicePorts(21_341) },
  processKill: { infra: infraPorts(6), services: servicePorts(21_371) },
  tracing: { infra: infraPorts(7), services: servicePorts(21_375) },
  consumerScaleOut: { infra: infraPorts(8), services: servicePorts(21_381) },
  userDeletion: { infra: infraPorts(14), services: servicePorts(21_391) },
  retraining: { infra: infraPorts(15), services: servicePorts(21_401) },
  importer: { infra: infraPorts(16), services: servicePorts(21_411) },
  // The web console's browser tests (test/browser); its file server on services.recommendation + 2200.
  console: { infra: infraPorts(17), services: servicePorts(21_421) },
  attribution: { infra: infraPorts(18), services: servicePorts(21_431) },
} as const;

/** Port sets of the benchmarks' meshes. */
export const BENCH_MESH_PORTS = {
  freshness: { infra: infraPorts(10), services: servicePorts(21_351) },
  throughput: { infra: infraPorts(11), services: servicePorts(21_355) },
  redisMemory: { infra: infraPorts(12), services: servicePorts(21_361) },
  serving: { infra: infraPorts(13), services: servicePorts(21_365) },
} as const;

/**
 * Infrastructure ports number `i`: PostgreSQL 25460+i, Redis 26400+i, Kafka 29120+2i (controller
 * 29121+2i), Envoy 28100+i, Envoy admin 29960+i.
 */
function infraPorts(i: number): InfraPorts {
  return {
    postgres: 25_460 + i,
    redis: 26_400 + i,
    kafka: 29_120 + 2 * i,
    kafkaController: 29_121 + 2 * i,
    envoy: 28_100 + i,
    envoyAdmin: 29_960 + i,
  };
}

/** Four consecutive service ports from `first`: recommendation, product, user, engagement. */
function servicePorts(first: number): ServicePorts {
  return { recommendation: first, product: first + 1, user: first + 2, engagement: first + 3 };
}
