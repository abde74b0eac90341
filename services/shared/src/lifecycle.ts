import type { Logger } from "pino";

/** Something started by a process entry point that must be stopped on shutdown. */
export type Stop = () => Promise<void>;

/**
 * Runs a process entry point (an RPC server or a Kafka consumer): calls `start`, then waits for
 * SIGTERM or SIGINT and calls the returned stop function once, with a hard deadline. A failure to
 * start is logged and exits with status 1; a second signal exits at once.
 *
 * @param logger - the process logger.
 * @param start - starts everything and returns how to stop it (in reverse order of start).
 * @param stopDeadlineMs - how long a clean stop may take before the process exits anyway (default 15 s).
 */
export function runMain(logger: Logger, start: () => Promise<Stop>, stopDeadlineMs = 15_000): void {
  let stopping = false;
  start().then(
    (stop) => {
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          logger.warn({ signal }, "second signal, exiting now");
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, "shutting down");
        const deadline = setTimeout(() => {
          logger.error({ stopDeadlineMs }, "shutdown deadline passed, exiting");
          process.exit(1);
        }, stopDeadlineMs);
        deadline.unref();
        stop().then(
          () => {
            logger.info("stopped");
            process.exit(0);
          },
          (err: unknown) => {
            logger.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    },
    (err: unknown) => {
      logger.fatal({ err: err instanceof Error ? err.message : err }, "failed to start");
      process.exit(1);
    },
  );
}
