import { describe, expect, it } from "vitest";
import { loadConsumerConfig } from "./consumer-config.js";

describe("loadConsumerConfig", () => {
  it("documents its defaults: 10 s session timeout, coverage checked every second, 1000 events per Redis round trip", () => {
    expect(loadConsumerConfig({})).toMatchObject({
      KAFKA_BROKERS: ["127.0.0.1:9092"],
      KAFKA_TOPIC: "engagement-events",
      KAFKA_GROUP_ID: "recsys-trending",
      KAFKA_SESSION_TIMEOUT_MS: 10_000,
      TRENDING_COVERAGE_CHECK_MS: 1_000,
      TRENDING_APPLY_CHUNK: 1_000,
    });
  });

  it("rejects a session timeout below the broker's minimum (6 s) and a zero chunk, naming them", () => {
    expect(() => loadConsumerConfig({ KAFKA_SESSION_TIMEOUT_MS: "1000", TRENDING_APPLY_CHUNK: "0" })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS.*TRENDING_APPLY_CHUNK/s,
    );
  });
});
