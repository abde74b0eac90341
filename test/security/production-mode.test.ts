import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEV_SERVICE_TOKEN } from "../../services/shared/src/access-control.js";

// Before, with NODE_ENV=production and no secrets the services logged a warning and ran with the
// public development secrets: a JWT forged with the JWT_SECRET printed in the source changed
// another user's account. Now each service process refuses to start, naming the variable.

const SERVICES = ["product", "user", "engagement", "recommendation"] as const;

interface Exit {
  readonly code: number | null;
  readonly output: string;
}

/** Starts one process entry point with exactly `env` (plus PATH/HOME) and waits for it to exit. */
function startEntry(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // Nothing listens here: a service that got past the secret check would fail (later, and differently).
        DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:1/none",
        REDIS_URL: "redis://127.0.0.1:1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not exit within 20 s; output:\n${output}`));
    }, 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Starts one service's main.ts (see {@link startEntry}). */
function startService(name: (typeof SERVICES)[number], env: NodeJS.ProcessEnv): Promise<Exit> {
  return startEntry(name, `services/${name}/src/main.ts`, env);
}

/** The fatal lines of a process's JSON log. */
function fatalLines(exit: Exit): { level: string; err?: string }[] {
  return exit.output
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { level: string; err?: string })
    .filter((l) => l.level === "fatal");
}

describe("production mode (NODE_ENV=production)", () => {
  for (const name of SERVICES) {
    it(`${name}: refuses to start without secrets, with short ones or with the development defaults, naming the variable`, async () => {
      const missing = await startService(name, { NODE_ENV: "production" });
      expect(missing.code, missing.output).toBe(1);
      const lines = missing.output.trim().split("\n");
      const fatal = lines.map((l) => JSON.parse(l) as { level: string; err?: string }).filter((l) => l.level === "fatal");
      expect(fatal, missing.output).toHaveLength(1);
      expect(fatal[0]?.err).toBe("refusing to start in production mode (NODE_ENV=production): JWT_SECRET is not set; SERVICE_TOKEN is not set");

      const weak = await startService(name, { NODE_ENV: "production", JWT_SECRET: "too-short", SERVICE_TOKEN: DEV_SERVICE_TOKEN });
      expect(weak.code, weak.output).toBe(1);
      expect(weak.output).toContain("JWT_SECRET is 9 bytes, needs at least 32; SERVICE_TOKEN is the development default");
    });
  }

  it("trending consumer: refuses to start without a real SERVICE_TOKEN (it calls the internal ScanEvents), naming it", async () => {
    const entry = "services/recommendation/src/stream/main.ts";
    const missing = await startEntry("trending-consumer", entry, { NODE_ENV: "production" });
    expect(missing.code, missing.output).toBe(1);
    expect(fatalLines(missing), missing.output).toEqual([
      expect.objectContaining({ err: "refusing to start in production mode (NODE_ENV=production): SERVICE_TOKEN is not set" }),
    ]);
    const weak = await startEntry("trending-consumer", entry, { NODE_ENV: "production", SERVICE_TOKEN: DEV_SERVICE_TOKEN });
    expect(weak.code, weak.output).toBe(1);
    expect(weak.output).toContain("SERVICE_TOKEN is the development default");
  });
});
