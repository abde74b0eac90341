/**
 * UserService process entry point: reads the configuration (warning when the development JWT
 * secret is in use), creates the users database if missing, applies migrations, serves gRPC, and
 * on SIGTERM/SIGINT drains calls then closes the pool.
 */
import { DEV_SERVICE_TOKEN } from "../../shared/src/access-control.js";
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { openServiceDatabase } from "../../shared/src/pg.js";
import { loadUserConfig, loginLimits } from "./config.js";
import { UserRepository } from "./data/user-repository.js";
import { LoginThrottle } from "./login-throttle.js";
import { USER_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";
import { DEV_JWT_SECRET } from "../../shared/src/access-token.js";

const logger = createLogger("user");

runMain(logger, async () => {
  const config = loadUserConfig();
  if (config.JWT_SECRET === DEV_JWT_SECRET) {
    logger.warn("JWT_SECRET is not set: signing access tokens with the built-in development secret");
  }
  if (config.SERVICE_TOKEN === DEV_SERVICE_TOKEN) logger.warn("SERVICE_TOKEN is not set: accepting the development service token");
  const pool = await openServiceDatabase(config.DATABASE_URL, USER_MIGRATIONS_DIR, logger, { max: config.DATABASE_POOL_MAX });
  const server = build({
    repository: new UserRepository(pool),
    jwtSecret: config.JWT_SECRET,
    serviceToken: config.SERVICE_TOKEN,
    tokenTtlSeconds: config.JWT_TTL_SECONDS,
    loginThrottle: new LoginThrottle(loginLimits(config)),
    logger,
  });
  const port = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port }, "UserService listening");
  return async () => {
    await server.shutdown(10_000);
    await pool.end();
  };
});
