import type { TestProject } from "vitest/node";
import { setupTestServers } from "./support/test-servers.js";

/**
 * Global setup of the integration tier: PostgreSQL, Redis and Kafka on the test ports (the whole
 * mesh instead when an e2e or fuzz project is part of the same run, so one set of servers serves
 * both). See `setupTestServers` in test/support/test-servers.ts.
 *
 * @throws Error when a server cannot be started: the run fails rather than skipping suites.
 */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupTestServers(project, "infra");
}
