import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { setprivPath } from "./paths.js";

/**
 * Thrown when a server cannot start because one of its ports is taken, or because a server started
 * from the same data directory by another running process still holds it. The message names the
 * port and, when known, the process.
 */
export class PortInUseError extends Error {
  /**
   * @param port - the TCP port that is taken.
   * @param message - the full explanation.
   */
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = "PortInUseError";
  }
}

/** Thrown when a server exits, or does not become ready in time, while starting. Carries its log's tail. */
export class StartFailedError extends Error {
  /**
   * @param name - the server, for example "postgres".
   * @param reason - what went wrong.
   * @param logFile - where its output went.
   */
  constructor(name: string, reason: string, logFile: string) {
    super(`${name} failed to start: ${reason}\n--- last lines of ${logFile} ---\n${logTail(logFile)}`);
    this.name = "StartFailedError";
  }
}

/** What {@link spawnManaged} starts. */
export interface ManagedProcessOptions {
  /** Short name used in messages and the pidfile, for example "postgres". */
  readonly name: string;
  /** The executable. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** File that stdout and stderr are appended to (its directory is created). */
  readonly logFile: string;
  /** Pidfile written once the process runs and removed when it has stopped (see {@link claimPorts}). */
  readonly pidFile: string;
  /** Ports the process listens on, recorded in the pidfile for messages. */
  readonly ports: readonly number[];
  /**
   * Signal that asks the server for a clean, prompt shutdown (default SIGTERM). It is also the
   * parent-death signal, sent by the kernel if this Node process dies without stopping it.
   */
  readonly stopSignal?: NodeJS.Signals;
  /** How long {@link ManagedProcess.stop} waits after the stop signal before SIGKILL, in ms (default 15000). */
  readonly stopTimeoutMs?: number;
  /** Run as this user (only when this process is root; PostgreSQL refuses to run as root). */
  readonly runAsUser?: string;
  /** Environment of the child (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory of the child (default: this process's). */
  readonly cwd?: string;
}

/** How a managed process ended. */
export interface ExitInfo {
  /** Exit status, or null when it was ended by a signal. */
  readonly code: number | null;
  /** The ending signal, or null when it exited by itself. */
  readonly signal: NodeJS.Signals | null;
}

/** A running child started by {@link spawnManaged}. */
export interface ManagedProcess {
  /** The short name given at start. */
  readonly name: string;
  /** The operating-system process id of the server itself (setpriv execs it, so no wrapper sits between). */
  readonly pid: number;
  /** The log file its output is appended to. */
  readonly logFile: string;
  /** Settles once the process has exited, however that happened. */
  readonly exited: Promise<ExitInfo>;
  /** Whether the process is still running. */
  isRunning(): boolean;
  /**
   * Sends the stop signal, waits for the exit, then SIGKILL after the stop timeout; removes the
   * pidfile. Resolves once the process is gone; calling it again (or after an exit) is harmless.
   */
  stop(): Promise<void>;
}

/** Contents of a pidfile. */
interface PidFileContents {
  readonly pid: number;
  readonly ownerPid: number;
  readonly name: string;
  readonly ports: readonly number[];
  /** Start time of the process (from /proc), so that a reused pid is not mistaken for it. */
  readonly startTime: string | undefined;
}

const running = new Set<{ pid: number; stopSignal: NodeJS.Signals; exited: () => boolean }>();
let exitHandlerInstalled = false;

/**
 * On exit of this Node process (normal end or `process.exit`), send every still-running child its
 * stop signal. Children of a process killed outright are covered by the parent-death signal instead.
 */
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const child of running) {
      if (child.exited()) continue;
      try {
        process.kill(child.pid, child.stopSignal);
      } catch {
        // already gone
      }
    }
  });
}

/** The last `bytes` of a file as text, or a note when it cannot be read. */
export function logTail(file: string, bytes = 4000): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8").trimEnd();
  } catch {
    return "(no log)";
  }
}

/** Whether a process with this id exists (a zombie or another user's process counts). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the process a pidfile names still runs (same pid and, where known, same start time). */
function pidFileProcessRuns(contents: PidFileContents): boolean {
  if (!pidAlive(contents.pid)) return false;
  return contents.startTime === undefined || processStartTime(contents.pid) === contents.startTime;
}

/** Resolves true when nothing listens on `127.0.0.1:port` (a test bind succeeds), false on EADDRINUSE. */
export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Makes sure a server may start on its ports. The policy is **never reuse**: a server is always
 * started by the process that uses it, so that it stops with that process.
 *
 * - A pidfile naming a live server whose owner process is still running (another `npm start` or test
 *   run on the same data directory) is an error naming the port and both pids.
 * - A pidfile naming a live server whose owner has died (an orphan, possible only where the
 *   parent-death signal is unavailable) is stopped (SIGTERM, then SIGKILL after `stopTimeoutMs`), and
 *   a stale pidfile is removed.
 * - A port held by anything else is an error naming the port.
 *
 * @param name - the server, for messages.
 * @param pidFile - its pidfile.
 * @param ports - the TCP ports it will listen on.
 * @param stopTimeoutMs - how long an orphan gets to stop before SIGKILL, in ms.
 * @throws PortInUseError as described above.
 */
export async function claimPorts(name: string, pidFile: string, ports: readonly number[], stopTimeoutMs = 15_000): Promise<void> {
  if (existsSync(pidFile)) {
    let previous: PidFileContents | undefined;
    try {
      previous = JSON.parse(readFileSync(pidFile, "utf8")) as PidFileContents;
    } catch {
      previous = undefined;
    }
    if (previous !== undefined && pidFileProcessRuns(previous)) {
      const port = previous.ports[0] ?? ports[0] ?? 0;
      if (previous.ownerPid === process.pid) {
        throw new PortInUseError(port, `${name} (pid ${previous.pid}, port ${port}) is already running, started by this process`);
      }
      if (pidAlive(previous.ownerPid)) {
        throw new PortInUseError(
          port,
          `${name} on port ${port} (pid ${previous.pid}) was started from ${path.dirname(pidFile)} by process ` +
            `${previous.ownerPid}, which is still running (another \`npm start\` or test run?); stop it or use other ports`,
        );
      }
      await killAndWait(previous.pid, "SIGTERM", stopTimeoutMs);
    }
    rmSync(pidFile, { force: true });
  }
  for (const port of ports) {
    // A port can also be busy for a moment as the local end of an outgoing connection: the test
    // ports lie in Linux's ephemeral range (32768-60999). Only a listener fails at once.
    const deadline = Date.now() + 5_000;
    while (!(await portFree(port))) {
      const listener = await accepts(port);
      if (listener || Date.now() > deadline) {
        throw new PortInUseError(
          port,
          listener
            ? `port ${port}, needed by ${name}, is already in use by another program (not one started from ` +
                `${path.dirname(pidFile)}); stop it or choose other ports`
            : `port ${port}, needed by ${name}, stayed in use by an outgoing connection for 5 s (it lies in the ` +
                `ephemeral port range); try again or choose other ports`,
        );
      }
      await sleep(200);
    }
  }
}

/** Resolves true when something accepts a TCP connection on 127.0.0.1:`port` within a second. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Sends `signal`, polls until `pid` is gone, then SIGKILL after `timeoutMs`. */
async function killAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        return;
      }
    }
    await sleep(100);
  }
}

/**
 * Starts a long-running server as a child of this process, with output appended to a log file.
 *
 * Children do not outlive this process: they are spawned attached (same process group, so Ctrl-C
 * reaches them too), through `setpriv --pdeathsig <stopSignal>` on Linux so the kernel signals them if
 * this process is killed, and an exit handler sends them the stop signal on a normal exit. When this
 * process is root and `runAsUser` is given, setpriv also switches to that user.
 *
 * @param options - what to run and how to stop it.
 * @returns the running process; call {@link claimPorts} first and {@link waitUntilReady} after.
 * @throws Error when the process cannot be spawned at all (for example a missing executable).
 */
export async function spawnManaged(options: ManagedProcessOptions): Promise<ManagedProcess> {
  const stopSignal = options.stopSignal ?? "SIGTERM";
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const setpriv = setprivPath();
  const asRoot = process.getuid?.() === 0;
  const prefix: string[] = [];
  if (options.runAsUser !== undefined && asRoot) {
    if (setpriv === undefined) throw new Error(`${options.name}: cannot run as ${options.runAsUser}: setpriv (util-linux) not found`);
    prefix.push(setpriv, "--reuid", options.runAsUser, "--regid", options.runAsUser, "--init-groups");
  } else if (setpriv !== undefined) {
    prefix.push(setpriv);
  }
  if (prefix.length > 0) prefix.push("--pdeathsig", stopSignal, "--");
  const argv = [...prefix, options.command, ...options.args];
  const [command, ...args] = argv as [string, ...string[]];

  mkdirSync(path.dirname(options.logFile), { recursive: true });
  mkdirSync(path.dirname(options.pidFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  writeSync(fd, `\n=== ${new Date().toISOString()} starting ${options.name}: ${argv.join(" ")}\n`);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ["ignore", fd, fd],
      detached: false,
      env: options.env ?? process.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
  } finally {
    closeSync(fd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid as number));
    child.once("error", (err) => reject(new Error(`${options.name}: cannot run ${command}: ${err.message}`)));
  });

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      running.delete(entry);
      resolve(exitInfo);
    });
  });
  const entry = { pid, stopSignal, exited: () => exitInfo !== undefined };
  running.add(entry);
  installExitHandler();
  const contents: PidFileContents = {
    pid,
    ownerPid: process.pid,
    name: options.name,
    ports: options.ports,
    startTime: processStartTime(pid),
  };
  writeFileSync(options.pidFile, JSON.stringify(contents) + "\n");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        child.kill(stopSignal);
        const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      rmSync(options.pidFile, { force: true });
    })();
    return stopping;
  };
  return { name: options.name, pid, logFile: options.logFile, exited, isRunning: () => exitInfo === undefined, stop };
}

/** Options of {@link waitUntilReady}. */
export interface WaitOptions {
  /** Give up after this long, in ms. */
  readonly timeoutMs: number;
  /** Pause between probes, in ms (default 100). */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it resolves true. Stops (and then rejects) if the process exits or the time runs
 * out; a probe that throws counts as "not yet".
 *
 * @param proc - the starting process.
 * @param probe - resolves true once the server answers.
 * @param options - timeout and interval.
 * @throws StartFailedError with the log's tail when the process exits first or the timeout passes
 *   (the process is stopped before the error is thrown).
 */
export async function waitUntilReady(proc: ManagedProcess, probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (!proc.isRunning()) {
      const info = await proc.exited;
      await proc.stop();
      throw new StartFailedError(proc.name, `exited with ${info.signal ?? `status ${String(info.code)}`}`, proc.logFile);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new StartFailedError(proc.name, `not ready after ${options.timeoutMs} ms`, proc.logFile);
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/**
 * Runs a short command to completion without blocking the event loop (servers starting in parallel
 * keep being polled meanwhile), optionally through a prefix such as setpriv's user switch.
 *
 * @param argv - the executable and its arguments.
 * @param env - the child's environment (default: this process's).
 * @returns its stdout.
 * @throws Error with the command line and its output when it fails or exits non-zero.
 */
export function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${argv.join(" ")} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}
