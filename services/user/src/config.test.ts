import { describe, expect, it } from "vitest";
import { loadUserConfig, loginLimits } from "./config.js";
import { DEV_SERVICE_TOKEN } from "../../shared/src/access-control.js";
import { DEV_JWT_SECRET } from "../../shared/src/access-token.js";

describe("loadUserConfig", () => {
  it("has documented defaults", () => {
    expect(loadUserConfig({})).toEqual({
      HOST: "127.0.0.1",
      METRICS_HOST: "127.0.0.1",
      PORT: 50053,
      HEALTH_CHECK_INTERVAL_MS: 1_000,
      HEALTH_CHECK_TIMEOUT_MS: 1_000,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_user",
      DATABASE_POOL_MAX: 10,
      JWT_SECRET: DEV_JWT_SECRET,
      JWT_TTL_SECONDS: 3600,
      SERVICE_TOKEN: DEV_SERVICE_TOKEN,
      LOGIN_FAILURES_PER_USERNAME: 5,
      LOGIN_USERNAME_WINDOW_SECONDS: 900,
      LOGIN_ATTEMPTS_PER_ADDRESS: 50,
      LOGIN_ADDRESS_WINDOW_SECONDS: 60,
      AUTH_REQUIRED_FOR_READS: true,
      ENGAGEMENT_SERVICE_ADDR: "127.0.0.1:50054",
      ENGAGEMENT_TIMEOUT_MS: 10_000,
    });
    expect(DEV_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it("fails fast naming a short JWT_SECRET and a bad TTL", () => {
    expect(() => loadUserConfig({ JWT_SECRET: "too-short" })).toThrow(/JWT_SECRET: must be at least 32 characters/);
    expect(() => loadUserConfig({ JWT_TTL_SECONDS: "abc" })).toThrow(/JWT_TTL_SECONDS/);
    expect(() => loadUserConfig({ SERVICE_TOKEN: "short" })).toThrow(/SERVICE_TOKEN: must be at least 32 characters/);
    expect(loadUserConfig({ JWT_TTL_SECONDS: "900", PORT: "0" })).toMatchObject({ JWT_TTL_SECONDS: 900, PORT: 0 });
  });

  it("reads the login limits and names a bad one", () => {
    const config = loadUserConfig({ LOGIN_FAILURES_PER_USERNAME: "3", LOGIN_ADDRESS_WINDOW_SECONDS: "30" });
    expect(loginLimits(config)).toEqual({ failuresPerUsername: 3, usernameWindowSeconds: 900, attemptsPerAddress: 50, addressWindowSeconds: 30 });
    expect(() => loadUserConfig({ LOGIN_ATTEMPTS_PER_ADDRESS: "0" })).toThrow(/LOGIN_ATTEMPTS_PER_ADDRESS/);
    expect(() => loadUserConfig({ LOGIN_USERNAME_WINDOW_SECONDS: "soon" })).toThrow(/LOGIN_USERNAME_WINDOW_SECONDS/);
  });
});
