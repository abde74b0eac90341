import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { recsysHome } from "../../scripts/infra/paths.js";

/**
 * The open-model load generators the serving benchmark drives, installed on first use with
 * `go install` from the Go module proxy into `$RECSYS_HOME/bin` (not by provision.sh: the tests do
 * not need them, and compiling them costs a fresh machine about a minute each).
 */
export const LOAD_GENERATORS = {
  /** vegeta (https://github.com/tsenart/vegeta): constant-rate HTTP load, a new request every 1/rate s whatever the answers do. */
  vegeta: { module: "github.com/tsenart/vegeta/v12", version: "v12.12.0" },
  /** ghz (https://ghz.sh): gRPC load; with `--async` and `--rps` it is open-model too. */
  ghz: { module: "github.com/bojand/ghz/cmd/ghz", version: "v0.121.0" },
} as const;

/**
 * The path of a load generator, installing it first when it is missing.
 *
 * @param name - "vegeta" or "ghz".
 * @returns the executable's absolute path.
 * @throws Error when Go is missing or `go install` fails (its output is in the message).
 */
export async function loadGenerator(name: keyof typeof LOAD_GENERATORS): Promise<string> {
  const bin = path.join(recsysHome(), "bin");
  const file = path.join(bin, name);
  if (existsSync(file)) return file;
  mkdirSync(bin, { recursive: true });
  const { module, version } = LOAD_GENERATORS[name];
  console.log(`installing ${name} ${version} (go install ${module}@${version}) …`);
  await new Promise<void>((resolve, reject) => {
    execFile("go", ["install", `${module}@${version}`], { env: { ...process.env, GOBIN: bin }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`go install ${module}@${version} failed (is Go installed?): ${err.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
  return file;
}

/**
 * Runs a command to completion, feeding it `input` on stdin and collecting stdout.
 *
 * @param argv - the command and its arguments.
 * @param input - bytes for stdin (or undefined for none).
 * @returns stdout.
 * @throws Error with stderr when it exits with a non-zero status.
 */
export function run(argv: readonly string[], input?: string): Promise<string> {
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new Error(`${argv.join(" ")} exited with ${String(code)}: ${Buffer.concat(err).toString("utf8").slice(-2000)}`));
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}
