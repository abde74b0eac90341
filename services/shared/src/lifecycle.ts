import type { Logger } from "pino";

/** Something started by a process entry point that must be stopped on shutdown. */
export type Stop = () => Promise<void>;

const finalSteps: Stop[] = [];

/**
 * Adds a step to run after the entry point's own stop, on every clean shutdown (for example:
 * export the spans tracing still buffers). Steps run in the order added; a failing one is logged
 * and the others still run.
 *
 * @param step - what to run.
 */
export function onShutdown(step: Stop): void {
  finalSteps.push(step);
}

async function runFinalSteps(logger: Logger): Promise<void> {
  for (const step of finalSteps) await step().catch((err: unknown) => logger.warn({ err }, "shutdown step failed"));
}

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
          async () => {
            await runFinalSteps(logger);
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
