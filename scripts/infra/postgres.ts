import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ensureDatabase } from "../../services/shared/src/pg.js";
import { claimPorts, runCommand, spawnManaged, StartFailedError, waitUntilReady } from "./managed-process.js";
import { postgresBinDir, setprivPath } from "./paths.js";

/** The role every service connects as (a superuser, password "recsys", as in docker-compose.yml). */
export const PG_ROLE = "recsys";

/** The operating-system user PostgreSQL runs as when this process is root (postgres refuses root). */
const PG_OS_USER = "postgres";

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** The stack's data directory; the cluster lives in `<dataDir>/postgres` (also its socket directory). */
  readonly dataDir: string;
  /** TCP port, bound on 127.0.0.1 only. */
  readonly port: number;
  /** File that the server's output is appended to. */
  readonly logFile: string;
  /**
   * Trade durability for speed (`fsync=off`, `synchronous_commit=off`, `full_page_writes=off`): for
   * test runs, whose data may be lost in a machine crash. Default false.
   */
  readonly unsafeFast?: boolean;
  /** Delete `<dataDir>/postgres` before starting, for a fresh cluster. Default false. */
  readonly reset?: boolean;
  /** How long to wait, once spawned, for the server to accept connections, in ms (default 60000). */
  readonly readyTimeoutMs?: number;
}

/** A running PostgreSQL server started by {@link startPostgres}. */
export interface PostgresHandle {
  /** Always "127.0.0.1". */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** Process id of the postmaster. */
  readonly pid: number;
  /** URL of the `recsys` superuser on the `postgres` database, for administration. */
  readonly adminUrl: string;
  /**
   * URL of the `recsys` role on a database: `postgres://recsys:recsys@127.0.0.1:<port>/<database>`.
   *
   * @param database - the database name (not created: see {@link PostgresHandle.ensureDatabase}).
   */
  urlFor(database: string): string;
  /**
   * Creates a database owned by `recsys` unless it exists.
   *
   * @param name - letters, digits and '_' only.
   * @returns its URL, as {@link PostgresHandle.urlFor} gives it.
   * @throws Error for an invalid name or a server error.
   */
  ensureDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT: sessions are ended, then a checkpoint), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/** The command prefix that runs a program as the postgres user (empty when not root). */
function asPostgresUser(asRoot: boolean): string[] {
  if (!asRoot) return [];
  const setpriv = setprivPath();
  if (setpriv === undefined) throw new Error("running as root, PostgreSQL must run as another user, and setpriv (util-linux) is missing");
  return [setpriv, "--reuid", PG_OS_USER, "--regid", PG_OS_USER, "--init-groups", "--"];
}

/**
 * Prepares the cluster directory: created mode 0700 and, when root, owned by the postgres user, who
 * must also be able to reach it (a repository under /root, mode 0700, is not reachable).
 */
function prepareClusterDir(clusterDir: string, asRoot: boolean): void {
  // Parents get the default mode (a recursive mkdir would give them 0700 too, shutting the postgres user out).
  mkdirSync(path.dirname(clusterDir), { recursive: true });
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (!asRoot) return;
  const id = spawnSync("id", ["-u", PG_OS_USER], { encoding: "utf8" });
  if (id.status !== 0) {
    throw new Error(`running as root, PostgreSQL must run as the "${PG_OS_USER}" user, which does not exist; run \`npm run provision\``);
  }
  if (statSync(clusterDir).uid !== Number(id.stdout.trim())) {
    const chown = spawnSync("chown", ["-R", `${PG_OS_USER}:`, clusterDir], { encoding: "utf8" });
    if (chown.status !== 0) throw new Error(`cannot give ${clusterDir} to the ${PG_OS_USER} user: ${chown.stderr}`);
  }
  const [setpriv, ...prefix] = asPostgresUser(asRoot) as [string, ...string[]];
  const reach = spawnSync(setpriv, [...prefix, "test", "-w", clusterDir]);
  if (reach.status !== 0) {
    throw new Error(
      `the "${PG_OS_USER}" user cannot write ${clusterDir}: a parent directory is not searchable by other users ` +
        `(for example a checkout under /root); move the repository or its .run directory, or make the parents o+x`,
    );
  }
}

/**
 * Where the cluster lives: `<dataDir>/postgres`, unless this process is root and the postgres user
 * cannot reach `<dataDir>` (a checkout under /root, mode 0700, say); then a directory under the
 * system temporary directory named after a hash of `<dataDir>`, so each data directory keeps its own
 * cluster across runs.
 */
function clusterDirFor(dataDir: string, asRoot: boolean): string {
  const preferred = path.resolve(dataDir, "postgres");
  if (!asRoot) return preferred;
  mkdirSync(path.dirname(preferred), { recursive: true });
  const [setpriv, ...prefix] = asPostgresUser(asRoot) as [string, ...string[]];
  if (spawnSync(setpriv, [...prefix, "test", "-x", path.dirname(preferred)]).status === 0) return preferred;
  const hash = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `recsys-postgres-${hash}`);
}

/** Resolves true once a connection to `url` succeeds and answers `SELECT 1`. */
async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a private PostgreSQL server from Debian's binaries: runs `initdb` into `<dataDir>/postgres` (or a temporary directory, see clusterDirFor)
 * when it holds no cluster (trust authentication, UTF-8, C locale), spawns `postgres` listening on
 * 127.0.0.1:`port` only with its Unix socket in the cluster directory, waits until a real connection
 * works, and creates the `recsys` superuser (password "recsys") when missing. When this process is
 * root, the server and initdb run as the `postgres` user (through setpriv) and the cluster directory
 * is given to that user.
 *
 * Port policy: see {@link claimPorts} (a running server is never reused).
 *
 * @param options - data directory, port, log file, durability.
 * @returns a handle with connection URLs and `stop()`.
 * @throws MissingToolError when PostgreSQL is not installed; PortInUseError when the port is taken;
 *   StartFailedError (with the log's tail) when the server exits or is not ready in time; Error when
 *   initdb fails or the postgres user cannot reach the directory.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const binDir = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const clusterDir = clusterDirFor(options.dataDir, asRoot);
  const pidFile = path.resolve(options.dataDir, "postgres.pid");
  const host = "127.0.0.1";
  const socketPath = path.join(clusterDir, `.s.PGSQL.${options.port}`);
  if (Buffer.byteLength(socketPath) > 107) {
    throw new Error(`PostgreSQL socket path ${socketPath} is longer than 107 bytes; use a shorter data directory`);
  }
  await claimPorts("postgres", pidFile, [options.port]);
  if (options.reset === true) rmSync(clusterDir, { recursive: true, force: true });
  prepareClusterDir(clusterDir, asRoot);
  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    await runCommand([
      ...asPostgresUser(asRoot),
      path.join(binDir, "initdb"),
      ...["-D", clusterDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
    ]);
  }

  const settings: Record<string, string> = {
    listen_addresses: host,
    port: String(options.port),
    unix_socket_directories: clusterDir,
    max_connections: "200",
    ...(options.unsafeFast === true ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
  };
  const proc = await spawnManaged({
    name: "postgres",
    command: path.join(binDir, "postgres"),
    args: ["-D", clusterDir, ...Object.entries(settings).flatMap(([key, value]) => ["-c", `${key}=${value}`])],
    logFile: options.logFile,
    pidFile,
    ports: [options.port],
    stopSignal: "SIGINT",
    stopTimeoutMs: 20_000,
    ...(asRoot ? { runAsUser: PG_OS_USER } : {}),
  });
  const bootstrapUrl = `postgres://postgres@${host}:${options.port}/postgres`;
  await waitUntilReady(proc, () => canConnect(bootstrapUrl), { timeoutMs: options.readyTimeoutMs ?? 60_000 });

  const urlFor = (database: string): string => `postgres://${PG_ROLE}:${PG_ROLE}@${host}:${options.port}/${database}`;
  try {
    const client = new pg.Client({ connectionString: bootstrapUrl });
    await client.connect();
    try {
      await client.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_ROLE}') THEN
          CREATE ROLE ${PG_ROLE} LOGIN SUPERUSER PASSWORD '${PG_ROLE}';
        END IF;
      END $$`);
    } finally {
      await client.end();
    }
  } catch (err) {
    await proc.stop();
    throw new StartFailedError("postgres", `cannot create role ${PG_ROLE}: ${(err as Error).message}`, options.logFile);
  }
  const adminUrl = urlFor("postgres");
  return {
    host,
    port: options.port,
    pid: proc.pid,
    adminUrl,
    urlFor,
    async ensureDatabase(name: string): Promise<string> {
      await ensureDatabase(adminUrl, name);
      return urlFor(name);
    },
    stop: () => proc.stop(),
  };
}
