import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEV_SERVICE_TOKEN } from "./access-control.js";
import { DEV_JWT_SECRET } from "./access-token.js";
import { enforceSecretPolicy, isProductionMode, secretProblem } from "./secret-policy.js";

const GOOD = "x".repeat(32);

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe("secretProblem", () => {
  it("names a missing, short or development-default secret, and passes a real one", () => {
    expect(secretProblem("JWT_SECRET", undefined)).toBe("is not set");
    expect(secretProblem("JWT_SECRET", "")).toBe("is not set");
    expect(secretProblem("SERVICE_TOKEN", "short")).toBe("is 5 bytes, needs at least 32");
    // 11 three-byte characters: 33 bytes although only 11 characters.
    expect(secretProblem("SERVICE_TOKEN", "€".repeat(11))).toBeUndefined();
    expect(secretProblem("JWT_SECRET", DEV_JWT_SECRET)).toBe("is the development default");
    expect(secretProblem("SERVICE_TOKEN", DEV_SERVICE_TOKEN)).toBe("is the development default");
    expect(secretProblem("JWT_SECRET", GOOD)).toBeUndefined();
  });
});

describe("enforceSecretPolicy", () => {
  it("refuses to start in production mode with one line naming every bad variable", () => {
    const { logger } = capture();
    expect(isProductionMode({ NODE_ENV: "production" })).toBe(true);
    expect(() => enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger, { NODE_ENV: "production" })).toThrow(
      "refusing to start in production mode (NODE_ENV=production): JWT_SECRET is not set; SERVICE_TOKEN is not set",
    );
    expect(() =>
      enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger, { NODE_ENV: "production", JWT_SECRET: DEV_JWT_SECRET, SERVICE_TOKEN: "abc" }),
    ).toThrow("JWT_SECRET is the development default; SERVICE_TOKEN is 3 bytes, needs at least 32");
    expect(() => enforceSecretPolicy(["SERVICE_TOKEN"], logger, { NODE_ENV: "production", SERVICE_TOKEN: GOOD })).not.toThrow();
  });

  it("outside production mode, warns once per development default and starts", () => {
    const { logger, lines } = capture();
    enforceSecretPolicy(["JWT_SECRET", "SERVICE_TOKEN"], logger, { NODE_ENV: "development", SERVICE_TOKEN: GOOD });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("JWT_SECRET is the development default");
  });
});
