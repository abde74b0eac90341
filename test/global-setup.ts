import type { TestProject } from "vitest/node";
import { setupTestServers } from "./support/test-servers.js";

/**
 * Global setup of the e2e and fuzz tiers: the whole test mesh (PostgreSQL, Redis, Kafka and Envoy
 * on the test ports, the MovieLens import, the four services and the trending consumer), shared
 * with the integration tier when both run. See `setupTestServers` in test/support/test-servers.ts.
 *
 * @throws Error when a server cannot be started: the run fails rather than skipping suites.
 */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupTestServers(project, "mesh");
}
