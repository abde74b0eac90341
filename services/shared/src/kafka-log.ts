import { logLevel, type logCreator } from "kafkajs";
import type { Logger } from "pino";

/**
 * kafkajs messages that are expected in this project's set-up and only add noise:
 * - the idempotent producers of the outbox relay bound their retries on purpose (a failed send is
 *   rolled back and retried later with a fresh producer session), which kafkajs warns about.
 */
const IGNORED_MESSAGES = [/Limiting retries for the idempotent producer/];

/**
 * kafkajs namespaces whose errors are connection attempts that kafkajs or the caller retries: they
 * are logged at debug, because the components using kafkajs (outbox relay, trending consumer,
 * topic set-up) log an outage themselves, once, with counts; at error level kafkajs would log every
 * attempt of every retry.
 */
const RETRIED_NAMESPACES = new Set(["Connection", "BrokerPool"]);

/**
 * A kafkajs `logCreator` that writes kafkajs' log lines through a pino logger, as structured lines
 * with the kafkajs namespace (https://kafka.js.org/docs/custom-logger). kafkajs' ERROR/WARN/INFO/DEBUG
 * map to the pino levels of the same name, except that INFO is logged at debug (kafkajs is chatty
 * about normal group membership changes) and connection errors at debug (see `RETRIED_NAMESPACES`).
 *
 * @param logger - the process logger (a child with `component: "kafkajs"` is used).
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: "kafkajs" });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = entry as {
        message: string;
        timestamp?: string;
        logger?: string;
        [key: string]: unknown;
      };
      if (IGNORED_MESSAGES.some((re) => re.test(message))) return;
      const data = { namespace, ...fields };
      if (RETRIED_NAMESPACES.has(namespace) && (level === logLevel.ERROR || level === logLevel.WARN)) {
        log.debug(data, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          log.error(data, message);
          break;
        case logLevel.WARN:
          log.warn(data, message);
          break;
        case logLevel.INFO:
          log.debug(data, message);
          break;
        default:
          log.trace(data, message);
      }
    };
}
