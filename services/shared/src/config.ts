import { z } from "zod";

/**
 * Reads and validates a service's configuration from environment variables, failing fast with a
 * message that names every bad variable and what was wrong with it.
 *
 * @param schema - a zod object whose keys are environment variable names, each with its coercion,
 *   bounds and documented default (see each service's `config.ts`).
 * @param env - the environment to read; defaults to `process.env`.
 * @returns the typed, validated configuration.
 * @throws Error "invalid configuration: NAME: problem; …" when any variable is invalid.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

/** A TCP port number, 0 to 65535 (0 asks the OS for a free port), read from a string. */
export const portSchema = z.coerce.number().int().min(0).max(65535);

/** A `host:port` address of another gRPC service. */
export const addressSchema = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, "must be host:port");
