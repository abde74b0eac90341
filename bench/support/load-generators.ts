import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { runCommand } from "../../scripts/infra/managed-process.js";
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
  await runCommand(["go", "install", `${module}@${version}`], { ...process.env, GOBIN: bin });
  return file;
}
