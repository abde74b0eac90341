import { configDefaults, defineConfig } from "vitest/config";

/**
 * Test configuration: one vitest project per tier, told apart by where a file lives and how it is
 * named, so the tier of a test shows in its path.
 *
 * - `unit` — `*.test.ts` beside the code (services/, scripts/, envoy/): pure code, in-memory
 *   transports, temporary files. No global setup: it starts no server and no process.
 *   `npm run test:unit`.
 * - `integration` — `*.int.test.ts` beside the code: suites against the real PostgreSQL, Redis and
 *   Kafka on the test ports (test/global-setup-infra.ts starts them; a suite reads them through
 *   test/support/infra.ts) and suites that start real servers on ports (gRPC servers, Envoy,
 *   child processes). `npm run test:integration`.
 * - `e2e` (test/e2e), `fuzz` (test/fuzz) — REST through Envoy and gRPC against the whole test mesh
 *   (test/global-setup.ts); `faults` (test/faults, test/tracing, whose mesh exports spans, and
 *   test/fuzz-openapi, Schemathesis against the OpenAPI document; test/import, the file importer
 *   end to end; test/attribution, impressions to click-through over REST) —
 *   each file starts its own private mesh (scripts/mesh-support/private-mesh.ts), so no global setup. `npm run test:e2e` runs all three.
 * - `browser` (test/browser) — the web console in headless Chromium (Debian's package, driven by
 *   puppeteer-core), against a private mesh of its own that serves the console through Envoy.
 *
 * `npm test` (`vitest run`) runs every tier; integration and e2e/fuzz then share one mesh. A suite
 * that needs a server fails, never skips, when the run has none. The summary reporter prints its
 * closing "N passed, N failed, N skipped" line once for the whole run.
 */
/** Copies the servers' addresses that a global setup provided into each worker's env. */
const SETUP_ENV = ["test/setup-env.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["services/**/*.test.ts", "scripts/**/*.test.ts", "envoy/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "**/*.int.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["services/**/*.int.test.ts", "scripts/**/*.int.test.ts", "envoy/**/*.int.test.ts", "test/support/**/*.int.test.ts"],
          globalSetup: ["test/global-setup-infra.ts"],
          setupFiles: SETUP_ENV,
        },
      },
      {
        extends: true,
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts", "test/security/**/*.test.ts"], globalSetup: ["test/global-setup.ts"], setupFiles: SETUP_ENV },
      },
      {
        extends: true,
        test: { name: "fuzz", include: ["test/fuzz/**/*.test.ts"], globalSetup: ["test/global-setup.ts"], setupFiles: SETUP_ENV },
      },
      {
        // The web console in Debian's Chromium (puppeteer-core) against a private mesh serving it
        // through Envoy: each test drives the real UI, waiting for conditions, hence the timeout.
        extends: true,
        test: { name: "browser", include: ["test/browser/**/*.test.ts"], testTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: "faults", include: ["test/faults/**/*.test.ts", "test/tracing/**/*.test.ts", "test/fuzz-openapi/**/*.test.ts", "test/import/**/*.test.ts", "test/attribution/**/*.test.ts"] },
      },
    ],
  },
});
