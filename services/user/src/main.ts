/**
 * UserService process entry point: checks the secrets (refusing the development defaults in
 * production mode), reads the configuration, creates the users database if missing, applies
 * migrations, serves gRPC (and Prometheus metrics on METRICS_PORT), and on SIGTERM/SIGINT drains calls then closes the pool.
 * Its gRPC readiness (`""`, `recsys.user.v1.UserService`) is NOT_SERVING while the users database
 * does not answer `SELECT 1`; `liveness` stays SERVING.
 */
import { postgresProbe, startDependencyMonitor } from "../../shared/src/dependency-health.js";
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { observePgPool, startConfiguredMetrics } from "../../shared/src/metrics.js";
import { openServiceDatabase } from "../../shared/src/pg.js";
import { loadUserConfig, loginLimits } from "./config.js";
import { UserRepository } from "./data/user-repository.js";
import { LoginThrottle } from "./login-throttle.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import { GrpcUserEventsEraser } from "./peers/user-events-eraser.js";
import { enforceSecretPolicy } from "../../shared/src/secret-policy.js";

const logger = createLogger("user");

runMain(logger, async () => {
  enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger);
  const config = loadUserConfig();
  const pool = await openServiceDatabase(config.DATABASE_URL, USER_MIGRATIONS_DIR, logger, { max: config.DATABASE_POOL_MAX });
  observePgPool(pool, "users");
  const metrics = await startConfiguredMetrics(config, config.PORT, logger);
  const server = build({
    repository: new UserRepository(pool),
    jwtSecret: config.JWT_SECRET,
    serviceToken: config.SERVICE_TOKEN,
    tokenTtlSeconds: config.JWT_TTL_SECONDS,
    loginThrottle: new LoginThrottle(loginLimits(config)),
    requireAuthForReads: config.AUTH_REQUIRED_FOR_READS,
    // DeleteUser: the user's events first (internal RPC, service token), then the account.
    events: new GrpcUserEventsEraser(
      createServiceClient(EngagementService, config.ENGAGEMENT_SERVICE_ADDR, {
        timeoutMs: config.ENGAGEMENT_TIMEOUT_MS,
        interceptors: [serviceTokenInterceptor(config.SERVICE_TOKEN)],
      }),
    ),
    logger,
  });
  // Readiness follows the users database: every RPC reads or writes it (accounts, token versions).
  const health = await startDependencyMonitor(
    config,
    [postgresProbe("postgres", config.DATABASE_URL, { required: true, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, logger })],
    logger,
  );
  server.followReadiness(health);
  const port = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port }, "UserService listening");
  return async () => {
    await server.shutdown(10_000);
    await health.stop();
    await metrics?.close();
    await pool.end();
  };
});
