import { pino, type Logger } from "pino";
import { z } from "zod";

/** The logger's environment variable, read by every process (documented in the README from here). */
export const loggingConfigSchema = {
  LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info")
    .describe("Lowest level written to the JSON log lines on stdout (the offline CLIs default to `warn`)."),
};

/**
 * Creates the structured logger of one process: one JSON object per line on stdout, with the
 * service name in every line and the level as a string (`"level":"info"`), so that log shippers
 * and `jq` read it without a schema.
 *
 * The level comes from `LOG_LEVEL` (trace, debug, info, warn, error, fatal, silent; default info).
 *
 * @param service - the name written as `service` in every line, for example `"product"`.
 * @throws ZodError when `LOG_LEVEL` is not one of those levels.
 * @returns a pino logger; use `logger.child({ requestId })` for per-request fields.
 */
export function createLogger(service: string): Logger {
  return pino({
    level: loggingConfigSchema.LOG_LEVEL.parse(process.env.LOG_LEVEL),
    base: { service },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
