import { pino, type Logger } from "pino";

/**
 * Creates the structured logger of one process: one JSON object per line on stdout, with the
 * service name in every line and the level as a string (`"level":"info"`), so that log shippers
 * and `jq` read it without a schema.
 *
 * The level comes from `LOG_LEVEL` (trace, debug, info, warn, error, fatal, silent; default info).
 *
 * @param service - the name written as `service` in every line, for example `"product"`.
 * @returns a pino logger; use `logger.child({ requestId })` for per-request fields.
 */
export function createLogger(service: string): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? "info",
    base: { service },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
