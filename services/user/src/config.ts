import { healthConfigSchema } from "../../shared/src/dependency-health.js";
import { metricsConfigSchema } from "../../shared/src/metrics.js";
import { z } from "zod";
import { addressSchema, loadConfig, portSchema } from "../../shared/src/config.js";
import { accessControlConfigShape } from "../../shared/src/access-control.js";
import { DEFAULT_LOGIN_LIMITS, type LoginThrottleLimits } from "./login-throttle.js";

/** A positive whole number of a login limit, with its documented default. */
const loginLimit = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/**
 * UserService configuration, from environment variables:
 * - `HOST`: interface to listen on (default 127.0.0.1);
 * - `PORT`: gRPC port (default 50053; 0 picks a free one);
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (the gRPC port + 1000: 51053; "off" = none): where
 *   Prometheus metrics are served at `GET /metrics` (`services/shared/src/metrics.ts`).
 * - `HEALTH_CHECK_INTERVAL_MS` (1000) and `HEALTH_CHECK_TIMEOUT_MS` (1000): the `SELECT 1` probe of
 *   the users database that readiness follows (`healthConfigSchema` in
 *   services/shared/src/dependency-health.ts);
 * - `DATABASE_URL`: the users database (default postgres://recsys:recsys@127.0.0.1:5432/recsys_user);
 * - `DATABASE_POOL_MAX`: largest number of PostgreSQL connections (default 10);
 * - `JWT_SECRET`: HS256 signing secret, at least 32 characters (default `DEV_JWT_SECRET`,
 *   with a warning at start);
 * - `JWT_TTL_SECONDS`: access token lifetime in seconds, 60 to 604800 (default 3600);
 * - `SERVICE_TOKEN`: the internal callers' token, at least 32 characters, which may update any
 *   account (default `DEV_SERVICE_TOKEN`, with a warning at start);
 * - `AUTH_REQUIRED_FOR_READS` (`true`): GetUser needs the account's token or the service token;
 *   `false` opens it (a laptop demo only);
 * - in production mode (`NODE_ENV=production`) both secrets must be set, 32 bytes or more and not
 *   the development defaults (services/shared/src/secret-policy.ts);
 * - `LOGIN_FAILURES_PER_USERNAME` (default 5) failed password checks per username in
 *   `LOGIN_USERNAME_WINDOW_SECONDS` (default 900), and `LOGIN_ATTEMPTS_PER_ADDRESS` (default 50)
 *   sign-in attempts per client address in `LOGIN_ADDRESS_WINDOW_SECONDS` (default 60); beyond
 *   them CreateSession answers RESOURCE_EXHAUSTED (HTTP 429) with `retry-after` (see
 *   login-throttle.ts; the counters are per process);
 * - `ENGAGEMENT_SERVICE_ADDR` (127.0.0.1:50054) and `ENGAGEMENT_TIMEOUT_MS` (10000): the
 *   EngagementService DeleteUser asks to delete the user's events first (DeleteUserEvents);
 * - `LOG_LEVEL` is read by the logger itself.
 */
export const userConfigSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the gRPC server listens on (`0.0.0.0` in a container)."),
  PORT: portSchema.default(50053).describe("gRPC port (0 picks a free one)."),
  ...metricsConfigSchema,
  ...healthConfigSchema,
  DATABASE_URL: z.string().url().default("postgres://recsys:recsys@127.0.0.1:5432/recsys_user").describe("PostgreSQL URL of the users database."),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10).describe("Most PostgreSQL connections in the pool."),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(3600).describe("Lifetime of an access token, in seconds (3600 = 1 hour)."),
  LOGIN_FAILURES_PER_USERNAME: loginLimit(DEFAULT_LOGIN_LIMITS.failuresPerUsername).describe("Failed password checks per username within LOGIN_USERNAME_WINDOW_SECONDS before CreateSession answers RESOURCE_EXHAUSTED (HTTP 429) with `retry-after`; counted per process."),
  LOGIN_USERNAME_WINDOW_SECONDS: loginLimit(DEFAULT_LOGIN_LIMITS.usernameWindowSeconds).describe("Window of the per-username failure count, in seconds."),
  LOGIN_ATTEMPTS_PER_ADDRESS: loginLimit(DEFAULT_LOGIN_LIMITS.attemptsPerAddress).describe("Sign-in attempts per client address within LOGIN_ADDRESS_WINDOW_SECONDS before CreateSession answers RESOURCE_EXHAUSTED; counted per process."),
  LOGIN_ADDRESS_WINDOW_SECONDS: loginLimit(DEFAULT_LOGIN_LIMITS.addressWindowSeconds).describe("Window of the per-address attempt count, in seconds."),
  ENGAGEMENT_SERVICE_ADDR: addressSchema.default("127.0.0.1:50054").describe("EngagementService `host:port`: DeleteUser has it delete the user's events (DeleteUserEvents) before removing the account."),
  ENGAGEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000).describe("Deadline of the DeleteUserEvents call, in ms; past it DeleteUser answers UNAVAILABLE, keeps the account, and a retry completes the deletion."),
  // JWT_SECRET, SERVICE_TOKEN, AUTH_REQUIRED_FOR_READS: the same variables, defaults and checks as every service.
  ...accessControlConfigShape,
});

/** The validated UserService configuration. */
export type UserConfig = z.infer<typeof userConfigSchema>;

/**
 * The login throttle's limits from the configuration.
 *
 * @param config - the validated configuration.
 */
export function loginLimits(config: UserConfig): LoginThrottleLimits {
  return {
    failuresPerUsername: config.LOGIN_FAILURES_PER_USERNAME,
    usernameWindowSeconds: config.LOGIN_USERNAME_WINDOW_SECONDS,
    attemptsPerAddress: config.LOGIN_ATTEMPTS_PER_ADDRESS,
    addressWindowSeconds: config.LOGIN_ADDRESS_WINDOW_SECONDS,
  };
}

/**
 * Reads the UserService configuration.
 *
 * @param env - environment (default `process.env`).
 * @throws Error naming every invalid variable.
 */
export function loadUserConfig(env: NodeJS.ProcessEnv = process.env): UserConfig {
  return loadConfig(userConfigSchema, env);
}
