import { defineConfig } from "vitest/config";

/**
 * Test configuration. Suites that need PostgreSQL, Redis, Kafka or Envoy get them from the global
 * setup (test/global-setup.ts), which starts them on the test ports and fails the run when they
 * cannot be started: no suite is skipped for a missing server.
 */
export default defineConfig({
  test: {
    include: ["services/**/*.test.ts", "scripts/**/*.test.ts", "envoy/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-env.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
