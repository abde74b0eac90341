import { randomBytes } from "node:crypto";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startMesh, TEST_SERVICE_PORTS } from "../../scripts/mesh.js";
import { startInfra, testPorts } from "../../scripts/infra/stack.js";

/** What the global setups hand to every test worker (see test/setup-env.ts). */
export interface TestEnvironment {
  /** Environment variables to set in each worker. */
  readonly env: Record<string, string>;
}

declare module "vitest" {
  export interface ProvidedContext {
    testEnvironment: TestEnvironment;
  }
}

/**
 * What a tier needs: `"infra"` is PostgreSQL, Redis and Kafka on the test ports (the integration
 * tier); `"mesh"` adds Envoy, the MovieLens import, a quick NeuMF model, the four services and the
 * trending consumer (the e2e and fuzz tiers).
 */
export type TestServersLevel = "infra" | "mesh";

/** Names of the vitest projects whose suites need the whole mesh (see vitest.config.ts). */
export const MESH_PROJECTS: readonly string[] = ["e2e", "fuzz"];

/** Names of the variables that, all set, point the run at servers someone else started. */
const SERVER_VARIABLES = ["RECSYS_TEST_PG_URL", "RECSYS_TEST_REDIS_URL", "RECSYS_TEST_KAFKA_BROKERS"] as const;

/** The servers of one run, started once and shared by every project that asked for them. */
interface Running {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Process-wide state: each project's global setup runs in its own module runner, globalThis is shared. */
interface SharedState {
  started: Promise<Running> | undefined;
  users: number;
}

const STATE_KEY = Symbol.for("recsys.test-servers");

function sharedState(): SharedState {
  const holder = globalThis as unknown as Record<symbol, SharedState | undefined>;
  return (holder[STATE_KEY] ??= { started: undefined, users: 0 });
}

/** PostgreSQL, Redis and Kafka on the test ports, fresh data in `.run/test`; no Envoy, no services. */
async function startTestInfra(): Promise<Running> {
  const started = Date.now();
  const infra = await startInfra({ ...testPorts, reset: true });
  console.log(`test infrastructure up (PostgreSQL, Redis, Kafka): ${Date.now() - started} ms`);
  return {
    env: {
      RECSYS_TEST_PG_URL: infra.pgUrlFor("postgres"),
      RECSYS_TEST_REDIS_URL: infra.redisUrl,
      RECSYS_TEST_KAFKA_BROKERS: infra.kafkaBrokers.join(","),
    },
    stop: () => infra.stop(),
  };
}

/** The whole test mesh (scripts/mesh.ts, the same code path as `npm start`) on the test ports. */
async function startTestMesh(): Promise<Running> {
  // A fresh service token per run, so no suite can pass by relying on the development default.
  const serviceToken = `test-service-token-${randomBytes(24).toString("hex")}`;
  const mesh = await startMesh({
    preset: testPorts,
    reset: true,
    servicePorts: TEST_SERVICE_PORTS,
    importProgress: "silent",
    // A quick model (2 epochs) exercises training, the artifact and NeuMF serving end to end;
    // model quality is measured by `npm run eval`, not here.
    train: true,
    trainArgs: ["--epochs", "2", "--validation-users", "50"],
    serviceEnv: { LOG_LEVEL: "info", SERVICE_TOKEN: serviceToken },
  });
  const env: Record<string, string> = {
    RECSYS_TEST_PG_URL: mesh.infra.pgUrlFor("postgres"),
    RECSYS_TEST_REDIS_URL: mesh.infra.redisUrl,
    RECSYS_TEST_KAFKA_BROKERS: mesh.infra.kafkaBrokers.join(","),
    RECSYS_TEST_REST_URL: mesh.restUrl,
    RECSYS_TEST_LOG_DIR: path.join(testPorts.dataDir, "logs"),
    RECSYS_TEST_MOVIELENS_DIR: mesh.imported.dir,
    RECSYS_TEST_KAFKA_TOPIC: "engagement-events",
    RECSYS_TEST_SERVICE_TOKEN: serviceToken,
    RECSYS_TEST_METRICS_URLS: JSON.stringify(mesh.metricsUrls),
    ...Object.fromEntries(
      Object.entries(mesh.addresses).map(([name, address]) => [`RECSYS_TEST_${name.toUpperCase()}_ADDR`, address]),
    ),
    ...Object.fromEntries(
      Object.entries(mesh.databases).map(([name, db]) => [`RECSYS_TEST_${name.toUpperCase()}_DATABASE_URL`, mesh.infra.pgUrlFor(db)]),
    ),
  };
  console.log(`test mesh up: ${JSON.stringify(mesh.timings)} ms`);
  return { env, stop: () => mesh.stop() };
}

/**
 * The global setup of a tier that needs real servers: starts them once per `vitest run` (the first
 * project to ask starts them, later ones share them; the last teardown stops them) and provides
 * their addresses as `testEnvironment`, which test/setup-env.ts copies into each worker's env.
 *
 * What starts is the most any project of the run needs: the whole mesh when `level` is "mesh" or a
 * project in {@link MESH_PROJECTS} is part of the run (a plain `vitest run` or `npm test`), else
 * only PostgreSQL, Redis and Kafka (`vitest run --project integration`). Both use the fixed test
 * ports, so one run at a time per machine.
 *
 * When `RECSYS_TEST_PG_URL`, `RECSYS_TEST_REDIS_URL` and `RECSYS_TEST_KAFKA_BROKERS` are all set
 * already, those servers are used and nothing is started; suites needing the mesh then fail
 * (they need `RECSYS_TEST_REST_URL`), they never skip.
 *
 * MovieLens comes from `MOVIELENS_DIR`, else `../shared/data/ml-latest-small` beside the
 * repository when present, else the cached GroupLens download.
 *
 * @param project - the project whose global setup runs.
 * @param level - what this project's suites need.
 * @returns the teardown.
 * @throws Error when a server cannot be started: the run fails rather than skipping suites.
 */
export async function setupTestServers(project: TestProject, level: TestServersLevel): Promise<() => Promise<void>> {
  if (SERVER_VARIABLES.every((name) => process.env[name])) {
    const env = Object.fromEntries(SERVER_VARIABLES.map((name) => [name, process.env[name] as string]));
    project.provide("testEnvironment", { env });
    return async () => {};
  }
  const state = sharedState();
  if (state.started === undefined) {
    const mesh = level === "mesh" || project.vitest.projects.some((p) => MESH_PROJECTS.includes(p.name));
    state.started = mesh ? startTestMesh() : startTestInfra();
    // A failed start fails this setup; a later project's setup tries again rather than reusing it.
    state.started.catch(() => (state.started = undefined));
  }
  const running = await state.started;
  state.users += 1;
  project.provide("testEnvironment", { env: running.env });
  return async () => {
    state.users -= 1;
    if (state.users === 0) {
      state.started = undefined;
      await running.stop();
    }
  };
}
