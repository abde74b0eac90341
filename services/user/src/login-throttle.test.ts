import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { failure } from "../../../test/support/failure.js";
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, RETRY_AFTER_HEADER } from "./login-throttle.js";

const limits = { failuresPerUsername: 3, usernameWindowSeconds: 900, attemptsPerAddress: 10, addressWindowSeconds: 60 };

describe("LoginThrottle", () => {
  it("has the documented defaults: 5 failures per username per 15 min, 50 attempts per address per minute", () => {
    expect(DEFAULT_LOGIN_LIMITS).toEqual({ failuresPerUsername: 5, usernameWindowSeconds: 900, attemptsPerAddress: 50, addressWindowSeconds: 60 });
  });

  it("refuses a username after N attempts without success, case-insensitively, with retry-after in seconds", async () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) await throttle.begin(i % 2 ? "Alice" : "alice", `10.0.0.${i}`);
    const refused = await failure(throttle.begin("ALICE", "10.0.0.99"));
    expect(refused.code).toBe(Code.ResourceExhausted);
    const seconds = Number(refused.metadata.get(RETRY_AFTER_HEADER));
    expect(seconds).toBeGreaterThan(895);
    expect(seconds).toBeLessThanOrEqual(900);
    expect(refused.rawMessage).toBe(`too many sign-in attempts for this username: retry after ${seconds} seconds`);
    // Another username from the same addresses is not affected.
    await throttle.begin("bob", "10.0.0.1");
  });

  it("forgets a username's failures after a success", async () => {
    const throttle = new LoginThrottle(limits);
    await throttle.begin("carol", "10.0.1.1");
    await throttle.begin("carol", "10.0.1.1");
    await (await throttle.begin("carol", "10.0.1.1")).succeeded();
    for (let i = 0; i < 3; i++) await throttle.begin("carol", "10.0.1.2");
    expect((await failure(throttle.begin("carol", "10.0.1.3"))).code).toBe(Code.ResourceExhausted);
  });

  it("counts every attempt per address, whatever the username, and not the refused ones against a username", async () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 10; i++) await (await throttle.begin(`user${i}`, "192.0.2.7")).succeeded();
    const refused = await failure(throttle.begin("dave", "192.0.2.7"));
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(refused.rawMessage).toMatch(/^too many sign-in attempts from this address: retry after \d+ seconds$/);
    expect(Number(refused.metadata.get(RETRY_AFTER_HEADER))).toBeGreaterThanOrEqual(1);
    // dave's refused attempt did not count against dave: 3 more from elsewhere are admitted.
    for (let i = 0; i < 3; i++) await throttle.begin("dave", "192.0.2.8");
    // Without a username (one that cannot name an account) only the address counts.
    for (let i = 0; i < 5; i++) await throttle.begin(undefined, "192.0.2.9");
  });

  it("lets a username in again when its window ends", async () => {
    const throttle = new LoginThrottle({ ...limits, failuresPerUsername: 1, usernameWindowSeconds: 1 });
    await throttle.begin("erin", "10.0.2.1");
    const refused = await failure(throttle.begin("erin", "10.0.2.1"));
    expect(refused.metadata.get(RETRY_AFTER_HEADER)).toBe("1");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await throttle.begin("erin", "10.0.2.1");
  });

  it("rejects limits that are not positive integers, naming them", () => {
    expect(() => new LoginThrottle({ ...limits, attemptsPerAddress: 0 })).toThrow("attemptsPerAddress: must be a positive integer, got 0");
    expect(() => new LoginThrottle({ ...limits, usernameWindowSeconds: 1.5 })).toThrow(/^usernameWindowSeconds: /);
  });
});
