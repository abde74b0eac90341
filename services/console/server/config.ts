import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadConfig, portSchema } from "../../shared/src/config.js";

/** Where `vite build` writes the console (services/console/dist), the default {@link ConsoleServerConfig.CONSOLE_DIST_DIR}. */
export const CONSOLE_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");

/**
 * Configuration of the console's static file server (services/console/server/main.ts), from
 * environment variables:
 * - `HOST`: interface to listen on (default 127.0.0.1; Envoy is its only client);
 * - `PORT`: HTTP port (default 52251, the recommendation port + 2200 of `npm start`; 0 picks a free one);
 * - `CONSOLE_DIST_DIR`: the built console, `index.html` and `assets/` (default services/console/dist).
 */
export const consoleServerConfigSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the console's file server listens on (Envoy is its only client)."),
  PORT: portSchema.default(52251).describe("HTTP port of the console's file server (0 picks a free one)."),
  CONSOLE_DIST_DIR: z.string().min(1).default(CONSOLE_DIST_DIR).describe("Directory of the built console (`vite build` output: index.html and assets/)."),
});

/** The validated configuration of the console's file server. */
export type ConsoleServerConfig = z.infer<typeof consoleServerConfigSchema>;

/**
 * Reads the console file server's configuration.
 *
 * @param env - environment (default `process.env`).
 * @throws Error naming every invalid variable.
 */
export function loadConsoleServerConfig(env: NodeJS.ProcessEnv = process.env): ConsoleServerConfig {
  return loadConfig(consoleServerConfigSchema, env);
}
