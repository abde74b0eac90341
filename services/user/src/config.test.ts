import { describe, expect, it } from "vitest";
import { loadUserConfig } from "./config.js";
import { DEV_SERVICE_TOKEN } from "../../shared/src/access-control.js";
import { DEV_JWT_SECRET } from "../../shared/src/access-token.js";

describe("loadUserConfig", () => {
  it("has documented defaults", () => {
    expect(loadUserConfig({})).toEqual({
      HOST: "127.0.0.1",
      PORT: 50053,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_user",
      DATABASE_POOL_MAX: 10,
      JWT_SECRET: DEV_JWT_SECRET,
      JWT_TTL_SECONDS: 3600,
      SERVICE_TOKEN: DEV_SERVICE_TOKEN,
    });
    expect(DEV_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it("fails fast naming a short JWT_SECRET and a bad TTL", () => {
    expect(() => loadUserConfig({ JWT_SECRET: "too-short" })).toThrow(/JWT_SECRET: must be at least 32 characters/);
    expect(() => loadUserConfig({ JWT_TTL_SECONDS: "abc" })).toThrow(/JWT_TTL_SECONDS/);
    expect(() => loadUserConfig({ SERVICE_TOKEN: "short" })).toThrow(/SERVICE_TOKEN: must be at least 32 characters/);
    expect(loadUserConfig({ JWT_TTL_SECONDS: "900", PORT: "0" })).toMatchObject({ JWT_TTL_SECONDS: 900, PORT: 0 });
  });
});
