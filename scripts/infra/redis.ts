import { mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { claimPorts, spawnManaged, waitUntilReady } from "./managed-process.js";
import { redisServerPath } from "./paths.js";

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** The stack's data directory; Redis works in `<dataDir>/redis` (it persists nothing). */
  readonly dataDir: string;
  /** TCP port, bound on 127.0.0.1 only. */
  readonly port: number;
  /** File that the server's output is appended to. */
  readonly logFile: string;
  /** Delete `<dataDir>/redis` before starting. Default false. */
  readonly reset?: boolean;
  /** How long to wait for PONG, in ms (default 10000). */
  readonly readyTimeoutMs?: number;
}

/** A running Redis server started by {@link startRedis}. */
export interface RedisHandle {
  /** Always "127.0.0.1". */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Process id of redis-server. */
  readonly pid: number;
  /** SIGTERM (Redis shuts down without saving, as nothing is configured to be saved), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Resolves true when `PING` on a fresh connection is answered `+PONG` within a second. */
export function redisPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/**
 * Starts a private, memory-only Redis server (`redis-server` from Debian's package) on
 * 127.0.0.1:`port`: no RDB snapshots (`save ""`), no AOF, working directory `<dataDir>/redis`, and
 * waits until it answers PING.
 *
 * Port policy: see {@link claimPorts} (a running server is never reused).
 *
 * @param options - data directory, port, log file.
 * @returns a handle with the URL and `stop()`.
 * @throws MissingToolError when redis-server is not installed; PortInUseError when the port is taken;
 *   StartFailedError (with the log's tail) when it exits or does not answer in time.
 */
export async function startRedis(options: RedisOptions): Promise<RedisHandle> {
  const redisServer = redisServerPath();
  const workDir = path.resolve(options.dataDir, "redis");
  const pidFile = path.resolve(options.dataDir, "redis.pid");
  const host = "127.0.0.1";
  await claimPorts("redis", pidFile, [options.port]);
  if (options.reset === true) rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const proc = await spawnManaged({
    name: "redis",
    command: redisServer,
    args: [
      "--port", String(options.port),
      "--bind", host,
      "--save", "",
      "--appendonly", "no",
      "--dir", workDir,
      "--daemonize", "no",
      "--logfile", "",
      "--loglevel", "warning",
    ],
    logFile: options.logFile,
    pidFile,
    ports: [options.port],
    stopSignal: "SIGTERM",
    stopTimeoutMs: 10_000,
  });
  await waitUntilReady(proc, () => redisPing(host, options.port), { timeoutMs: options.readyTimeoutMs ?? 10_000, intervalMs: 50 });
  return { host, port: options.port, url: `redis://${host}:${options.port}`, pid: proc.pid, stop: () => proc.stop() };
}
