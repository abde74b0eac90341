import { describe, expect, it } from "vitest";
import type { ExitInfo, ManagedProcess } from "./managed-process.js";
import { Supervisor, type RestartPolicy } from "./supervisor.js";

/** A stand-in process whose exit the test triggers. */
function fakeProcess(pid: number): ManagedProcess & { exit(info?: ExitInfo): void } {
  let resolve!: (info: ExitInfo) => void;
  let running = true;
  const exited = new Promise<ExitInfo>((r) => (resolve = r));
  return {
    name: "svc",
    pid,
    logFile: "/tmp/svc.log",
    exited,
    isRunning: () => running,
    stop: async () => {
      running = false;
      resolve({ code: 0, signal: null });
    },
    exit(info = { code: null, signal: "SIGKILL" }) {
      running = false;
      resolve(info);
    },
  };
}

const POLICY: RestartPolicy = { backoff: { initialMs: 5, maxMs: 40 }, maxRestarts: 3, windowMs: 60_000 };

function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error("condition not met in time"));
      else setTimeout(poll, 2);
    };
    poll();
  });
}

describe("Supervisor", () => {
  it("restarts an unexpected exit with doubling delays, and declares a crash loop past maxRestarts", async () => {
    const lines: string[] = [];
    const loops: string[] = [];
    const supervisor = new Supervisor(POLICY, { log: (l) => lines.push(l), onCrashLoop: (name, detail) => loops.push(`${name}: ${detail}`) });
    const incarnations = [fakeProcess(1)];
    const restart = async (): Promise<ManagedProcess> => {
      const next = fakeProcess(incarnations.length + 1);
      incarnations.push(next);
      return next;
    };
    supervisor.supervise("svc", incarnations[0]!, restart);
    for (let n = 1; n <= 3; n++) {
      incarnations.at(-1)!.exit();
      await until(() => supervisor.restarts.length === n);
      expect(supervisor.restarts.at(-1)).toMatchObject({ name: "svc", exit: { signal: "SIGKILL" }, pid: n + 1 });
    }
    expect(lines.filter((l) => l.includes("restarting in")).map((l) => /restarting in (\d+) ms/.exec(l)![1])).toEqual(["5", "10", "20"]);
    expect(loops).toEqual([]);
    incarnations.at(-1)!.exit({ code: 1, signal: null });
    await until(() => loops.length === 1);
    expect(loops[0]).toMatch(/^svc: svc exited 4 times within 60 s \(last: exited unexpectedly \(status 1\)\), more than the 3 restarts allowed: see \/tmp\/svc\.log$/);
    expect(incarnations).toHaveLength(4); // no restart after the loop was declared
    supervisor.close();
  });

  it("counts a restart that fails as another exit, and restarts again", async () => {
    const supervisor = new Supervisor(POLICY, { log: () => {}, onCrashLoop: () => {} });
    let attempts = 0;
    const restart = async (): Promise<ManagedProcess> => {
      attempts++;
      if (attempts === 1) throw new Error("svc: not ready after 100 ms\nlog tail");
      return fakeProcess(10 + attempts);
    };
    const first = fakeProcess(1);
    supervisor.supervise("svc", first, restart);
    first.exit();
    await until(() => supervisor.restarts.length === 1);
    expect(attempts).toBe(2);
    expect(supervisor.restarts[0]!.pid).toBe(12);
    supervisor.close();
  });

  it("does not restart an exit the owner caused: a deliberate replacement, or after close", async () => {
    const restarts: number[] = [];
    const supervisor = new Supervisor(POLICY, { log: () => {}, onCrashLoop: () => {} });
    const restart = async (): Promise<ManagedProcess> => {
      restarts.push(Date.now());
      return fakeProcess(99);
    };
    const a = fakeProcess(1);
    supervisor.supervise("a", a, restart);
    supervisor.expectReplacement("a");
    await a.stop();
    supervisor.supervise("a", fakeProcess(2), restart);
    // Give a (wrongly) scheduled restart many times its 5 ms delay to happen.
    await new Promise((r) => setTimeout(r, 100));
    expect(restarts).toEqual([]);

    const b = fakeProcess(3);
    supervisor.supervise("b", b, restart);
    supervisor.close();
    b.exit();
    await new Promise((r) => setTimeout(r, 100));
    expect(restarts).toEqual([]);
    expect(supervisor.restarts).toEqual([]);
  });

  it("refuses a policy that cannot work", () => {
    expect(() => new Supervisor({ ...POLICY, maxRestarts: -1 }, { log: () => {}, onCrashLoop: () => {} })).toThrow(/maxRestarts must be an integer ≥ 0/);
    expect(() => new Supervisor({ ...POLICY, windowMs: 0 }, { log: () => {}, onCrashLoop: () => {} })).toThrow(/windowMs must be > 0/);
  });
});
