import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DependencyMonitor, healthConfigSchema, type DependencyProbe } from "./dependency-health.js";
import { loadConfig } from "./config.js";
import { metricsRegistry } from "./metrics.js";
import { z } from "zod";

const logger = pino({ level: "silent" });

/** A probe whose answer the test sets; counts its checks. */
function fakeProbe(name: string, required: boolean): DependencyProbe & { answer: "up" | "down" | "hang"; checks: number } {
  const probe = {
    name,
    required,
    answer: "up" as "up" | "down" | "hang",
    checks: 0,
    check(): Promise<void> {
      probe.checks += 1;
      if (probe.answer === "up") return Promise.resolve();
      if (probe.answer === "down") return Promise.reject(new Error(`${name} refused`));
      return new Promise<void>(() => {});
    },
  };
  return probe;
}

async function dependencyUp(): Promise<Record<string, number>> {
  const metric = await metricsRegistry.getSingleMetric("recsys_dependency_up")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.dependency), v.value]));
}

describe("DependencyMonitor", () => {
  it("is not ready before its first round, then ready while every required dependency answers", async () => {
    const db = fakeProbe("db-a", true);
    const cache = fakeProbe("cache-a", false);
    const monitor = new DependencyMonitor({ probes: [db, cache], intervalMs: 60_000, timeoutMs: 100, logger });
    expect(monitor.ready).toBe(false);
    expect(await monitor.start()).toBe(true);
    expect(monitor.ready).toBe(true);
    expect(Object.fromEntries(monitor.states())).toEqual({ "db-a": { up: true, required: true }, "cache-a": { up: true, required: false } });
    await monitor.stop();
  });

  it("turns not ready when a required dependency fails, not when an optional one does, and says so in recsys_dependency_up", async () => {
    const db = fakeProbe("db-b", true);
    const cache = fakeProbe("cache-b", false);
    const monitor = new DependencyMonitor({ probes: [db, cache], intervalMs: 10, timeoutMs: 100, logger });
    const changes: boolean[] = [];
    monitor.onChange((ready) => changes.push(ready));
    await monitor.start();
    cache.answer = "down";
    await until(() => monitor.states().get("cache-b")?.up === false);
    expect(monitor.ready).toBe(true);
    expect(monitor.states().get("cache-b")).toEqual({ up: false, required: false, error: "cache-b refused" });
    expect(await dependencyUp()).toMatchObject({ "db-b": 1, "cache-b": 0 });

    db.answer = "down";
    await until(() => !monitor.ready);
    expect(await dependencyUp()).toMatchObject({ "db-b": 0, "cache-b": 0 });
    db.answer = "up";
    await until(() => monitor.ready);
    expect(changes).toEqual([true, false, true]);
    await monitor.stop();
    // A stopped monitor leaves the gauge.
    expect(await dependencyUp()).not.toHaveProperty("db-b");
  });

  it("counts a check that does not answer within the timeout as down, and starts no second one while it hangs", async () => {
    const db = fakeProbe("db-c", true);
    db.answer = "hang";
    const monitor = new DependencyMonitor({ probes: [db], intervalMs: 10, timeoutMs: 50, logger });
    expect(await monitor.start()).toBe(false);
    expect(monitor.states().get("db-c")?.error).toBe("no answer within 50 ms");
    await until(() => /previous check/.test(monitor.states().get("db-c")?.error ?? ""));
    expect(db.checks).toBe(1);
    await monitor.stop();
  });
});

describe("healthConfigSchema", () => {
  const schema = z.object({ ...healthConfigSchema });
  it("defaults to a probe every second with a one-second timeout", () => {
    expect(loadConfig(schema, {})).toEqual({ HEALTH_CHECK_INTERVAL_MS: 1_000, HEALTH_CHECK_TIMEOUT_MS: 1_000 });
    expect(loadConfig(schema, { HEALTH_CHECK_INTERVAL_MS: "5000", HEALTH_CHECK_TIMEOUT_MS: "200" })).toEqual({
      HEALTH_CHECK_INTERVAL_MS: 5_000,
      HEALTH_CHECK_TIMEOUT_MS: 200,
    });
  });
  it("refuses a bad value, naming the variable", () => {
    expect(() => loadConfig(schema, { HEALTH_CHECK_INTERVAL_MS: "often" })).toThrow(/HEALTH_CHECK_INTERVAL_MS/);
    expect(() => loadConfig(schema, { HEALTH_CHECK_TIMEOUT_MS: "0" })).toThrow(/HEALTH_CHECK_TIMEOUT_MS/);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
