import type { Logger } from "pino";
import { z } from "zod";
import { DEV_SERVICE_TOKEN } from "./access-control.js";
import { DEV_JWT_SECRET } from "./access-token.js";

/**
 * The secrets a service may hold, each with the development default it falls back to outside
 * production mode (`JWT_SECRET`: the HS256 key of user access tokens; `SERVICE_TOKEN`: the internal
 * callers' bearer token). Both defaults are public (they are in this repository), so production
 * mode refuses them.
 */
export const DEVELOPMENT_SECRETS = {
  JWT_SECRET: DEV_JWT_SECRET,
  SERVICE_TOKEN: DEV_SERVICE_TOKEN,
} as const;

/** The name of a secret environment variable. */
export type SecretName = keyof typeof DEVELOPMENT_SECRETS;

/**
 * Shortest accepted secret in production mode, in bytes of UTF-8: 256 bits, the size of the HS256
 * key RFC 7518 §3.2 requires (https://www.rfc-editor.org/rfc/rfc7518#section-3.2).
 */
export const MIN_SECRET_BYTES = 32;

/** The production-mode switch as a documented variable (the README's configuration table is generated from it). */
export const runtimeModeConfigSchema = {
  NODE_ENV: z
    .string()
    .optional()
    .describe(
      "`production` (the Dockerfile sets it) is production mode: every process refuses to start unless JWT_SECRET and SERVICE_TOKEN are set, at least 32 bytes and not the development defaults; anything else falls back to those defaults with a warning.",
    ),
};

/**
 * Whether the process runs in production mode: `NODE_ENV=production` (the Dockerfile sets it).
 *
 * @param env - the environment (default `process.env`).
 */
export function isProductionMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === "production";
}

/**
 * What is wrong with one secret for production, if anything.
 *
 * @param name - the variable.
 * @param value - its value, undefined when unset.
 * @returns "is not set", "is N bytes, needs at least 32" or "is the development default"; undefined when fine.
 */
export function secretProblem(name: SecretName, value: string | undefined): string | undefined {
  if (value === undefined || value === "") return "is not set";
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes < MIN_SECRET_BYTES) return `is ${bytes} bytes, needs at least ${MIN_SECRET_BYTES}`;
  if (value === DEVELOPMENT_SECRETS[name]) return "is the development default";
  return undefined;
}

/**
 * Checks a service's secrets before it starts. In production mode every problem is fatal: the call
 * throws one line naming each bad variable, which `runMain` logs as the reason the process did not
 * start (exit status 1). Outside production mode a secret left unset falls back to its development
 * default with one warning line (the configuration schema still refuses one under 32 characters).
 *
 * @param names - the secrets this service uses.
 * @param logger - where the development-mode warnings go.
 * @param env - the environment (default `process.env`).
 * @throws Error "refusing to start in production mode (NODE_ENV=production): JWT_SECRET is not set; …"
 */
export function enforceSecretPolicy(names: readonly SecretName[], logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (isProductionMode(env)) {
    const problems = names.flatMap((name) => {
      const problem = secretProblem(name, env[name]);
      return problem === undefined ? [] : [`${name} ${problem}`];
    });
    if (problems.length > 0) {
      throw new Error(`refusing to start in production mode (NODE_ENV=production): ${problems.join("; ")}`);
    }
    return;
  }
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value === "" || value === DEVELOPMENT_SECRETS[name]) {
      logger.warn(`${name} is the development default (public): fine on a laptop, refused when NODE_ENV=production`);
    }
  }
}
