import { describe, expect, it } from "vitest";
import { backoffDelayMs, Outage, WakeableSleep } from "./backoff.js";

describe("backoffDelayMs", () => {
  it("doubles from the first delay up to the largest", () => {
    const policy = { initialMs: 100, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelayMs(n, policy))).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });
});

describe("Outage", () => {
  it("reports its start once, then its failed attempts and duration when it ends", () => {
    const clock = { now: 1_000 };
    const outage = new Outage({ initialMs: 250, maxMs: 5_000 }, () => clock.now);
    expect(outage.recover()).toBeUndefined();
    expect(outage.fail()).toBe(true);
    expect(outage.delayMs()).toBe(250);
    clock.now = 1_400;
    expect(outage.fail()).toBe(false);
    expect(outage.delayMs()).toBe(500);
    expect(outage.active).toBe(true);
    expect(outage.recover()).toEqual({ failedAttempts: 2, outageMs: 400 });
    expect(outage.active).toBe(false);
  });
});

describe("WakeableSleep", () => {
  it("wake ends a wakeable sleep, and is remembered for the next one when none is in progress", async () => {
    const sleeper = new WakeableSleep();
    const started = Date.now();
    const sleeping = sleeper.sleep(10_000, true);
    sleeper.wake();
    await sleeping;
    sleeper.wake();
    await sleeper.sleep(10_000, true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("wake leaves a sleep that is not wakeable alone; interrupt and stop end it", async () => {
    const sleeper = new WakeableSleep();
    let done = false;
    const sleeping = sleeper.sleep(10_000).then(() => (done = true));
    sleeper.wake();
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    sleeper.interrupt();
    await sleeping;
    const again = sleeper.sleep(10_000);
    sleeper.stop();
    await again;
    await sleeper.sleep(10_000); // stopped: at once
    sleeper.resume();
    let late = false;
    void sleeper.sleep(30).then(() => (late = true));
    expect(late).toBe(false);
  });
});
