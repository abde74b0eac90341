import { randomBytes } from "node:crypto";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startMesh, TEST_SERVICE_PORTS } from "../scripts/mesh.js";
import { testPorts } from "../scripts/infra/stack.js";

/** What the global setup hands to every test worker (see test/setup-env.ts). */
export interface TestEnvironment {
  /** Environment variables to set in each worker. */
  readonly env: Record<string, string>;
}

declare module "vitest" {
  export interface ProvidedContext {
    testEnvironment: TestEnvironment;
  }
}

/** Names of the variables the suites read (test/support/infra.ts, test/support/mesh.ts). */
const SERVER_VARIABLES = ["RECSYS_TEST_PG_URL", "RECSYS_TEST_REDIS_URL", "RECSYS_TEST_KAFKA_BROKERS"] as const;

/**
 * Starts the real servers the suites run against, once per `vitest run`: PostgreSQL, Redis, Kafka
 * and Envoy on the test ports (fresh data in `.run/test`), the MovieLens import, the four services
 * and the trending consumer (scripts/mesh.ts, the same code path as `npm start`).
 *
 * When `RECSYS_TEST_PG_URL`, `RECSYS_TEST_REDIS_URL` and `RECSYS_TEST_KAFKA_BROKERS` are all set
 * already, those servers are used and no mesh is started; the end-to-end suites then fail (they
 * need `RECSYS_TEST_REST_URL`), they never skip.
 *
 * MovieLens comes from `MOVIELENS_DIR`, else `../shared/data/ml-latest-small` beside the repository
 * when present, else the cached GroupLens download.
 *
 * @throws Error when a server cannot be started: the run fails rather than skipping suites.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (SERVER_VARIABLES.every((name) => process.env[name])) {
    const env = Object.fromEntries(SERVER_VARIABLES.map((name) => [name, process.env[name] as string]));
    project.provide("testEnvironment", { env });
    return async () => {};
  }
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
    ...Object.fromEntries(
      Object.entries(mesh.addresses).map(([name, address]) => [`RECSYS_TEST_${name.toUpperCase()}_ADDR`, address]),
    ),
    ...Object.fromEntries(
      Object.entries(mesh.databases).map(([name, db]) => [`RECSYS_TEST_${name.toUpperCase()}_DATABASE_URL`, mesh.infra.pgUrlFor(db)]),
    ),
  };
  project.provide("testEnvironment", { env });
  console.log(`test mesh up: ${JSON.stringify(mesh.timings)} ms`);
  return () => mesh.stop();
}
