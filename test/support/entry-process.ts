import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, where an entry point's relative path starts. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A process entry point (a service's or the consumer's `main.ts`) running as a child of the test. */
export interface EntryProcess {
  /** Its process id. */
  readonly pid: number;
  /** What it has written to stdout and stderr so far (JSON log lines), for a failing test's message. */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Sends SIGTERM (SIGKILL after `graceMs`, default 15 s) and waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs an entry point the way `npm start` does (`node --import tsx <entry>`, from the repository
 * root), with this process's environment plus `env`.
 *
 * @param entry - the path from the repository root, e.g. "services/product/src/main.ts".
 * @param env - the variables to set (PORT, DATABASE_URL, …).
 * @returns the running child.
 * @throws Error when it cannot be spawned.
 */
export async function startEntry(entry: string, env: NodeJS.ProcessEnv): Promise<EntryProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  let done = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      done = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  return {
    pid: child.pid!,
    output: () => out,
    exited: () => done,
    async stop(graceMs = 15_000) {
      if (done) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
