import { logLevel, type logCreator } from "kafkajs";
import type { Logger } from "pino";

/**
 * kafkajs messages that are expected in this project's set-up and only add noise:
 * - the idempotent producers of the outbox relay bound their retries on purpose (a failed send is
 *   rolled back and retried later with a fresh producer session), which kafkajs warns about.
 */
const IGNORED_MESSAGES = [/Limiting retries for the idempotent producer/];

/**
 * A kafkajs `logCreator` that writes kafkajs' log lines through a pino logger, as structured lines
 * with the kafkajs namespace (https://kafka.js.org/docs/custom-logger). kafkajs' ERROR/WARN/INFO/DEBUG
 * map to the pino levels of the same name; INFO is logged at debug, because kafkajs is chatty about
 * normal group membership changes.
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
