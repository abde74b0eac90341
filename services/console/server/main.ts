/**
 * Entry point of the console's static file server: reads its configuration
 * (services/console/server/config.ts), serves the built console on HOST:PORT (Envoy routes `GET /`
 * and `/assets/*` of the public listener to it), and closes on SIGTERM/SIGINT.
 */
import { runMain } from "../../shared/src/lifecycle.js";
import { createLogger } from "../../shared/src/logger.js";
import { loadConsoleServerConfig } from "./config.js";
import { createConsoleServer } from "./static-server.js";

const logger = createLogger("console");

runMain(logger, async () => {
  const config = loadConsoleServerConfig();
  const server = createConsoleServer(config.CONSOLE_DIST_DIR);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  logger.info({ host: config.HOST, port: config.PORT, dir: config.CONSOLE_DIST_DIR }, "console file server listening");
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});
