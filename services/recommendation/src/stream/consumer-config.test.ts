import { describe, expect, it } from "vitest";
import { DEV_SERVICE_TOKEN } from "../../../shared/src/access-control.js";
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
      ENGAGEMENT_SERVICE_ADDR: "127.0.0.1:50054",
      SERVICE_TOKEN: DEV_SERVICE_TOKEN,
      USER_STATE_CHECK_MS: 1_000,
      RECOMMEND_POSITIVE_RATING: 3.5,
      RECOMMEND_SEEN_EVENT_TYPES: new Set(["rate", "like", "dislike"]),
      USER_STATE_MAX_SEEN: 5_000,
      USER_STATE_MAX_POSITIVES: 200,
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: 52051,
      HEALTH_CHECK_INTERVAL_MS: 1_000,
      HEALTH_CHECK_TIMEOUT_MS: 1_000,
    });
  });

  it("serves health on HEALTH_PORT (a port or off), naming a bad one", () => {
    expect(loadConsumerConfig({ HEALTH_PORT: "23051" }).HEALTH_PORT).toBe(23_051);
    expect(loadConsumerConfig({ HEALTH_PORT: "off" }).HEALTH_PORT).toBe("off");
    expect(() => loadConsumerConfig({ HEALTH_PORT: "health" })).toThrow(/HEALTH_PORT/);
    expect(() => loadConsumerConfig({ HEALTH_CHECK_INTERVAL_MS: "10" })).toThrow(/HEALTH_CHECK_INTERVAL_MS/);
  });

  it("reads the per-user state's rules, and rejects a bad engagement address, a short service token and an unknown seen kind, naming them", () => {
    expect(loadConsumerConfig({ RECOMMEND_SEEN_EVENT_TYPES: "click, Rate", USER_STATE_MAX_SEEN: "3" })).toMatchObject({
      RECOMMEND_SEEN_EVENT_TYPES: new Set(["click", "rate"]),
      USER_STATE_MAX_SEEN: 3,
    });
    expect(() =>
      loadConsumerConfig({ ENGAGEMENT_SERVICE_ADDR: "nowhere", SERVICE_TOKEN: "short", RECOMMEND_SEEN_EVENT_TYPES: "purchase", USER_STATE_CHECK_MS: "0" }),
    ).toThrow(/RECOMMEND_SEEN_EVENT_TYPES: unknown event type "purchase".*ENGAGEMENT_SERVICE_ADDR: must be host:port.*SERVICE_TOKEN: must be at least 32.*USER_STATE_CHECK_MS/s);
  });

  it("rejects a session timeout below the broker's minimum (6 s) and a zero chunk, naming them", () => {
    expect(() => loadConsumerConfig({ KAFKA_SESSION_TIMEOUT_MS: "1000", TRENDING_APPLY_CHUNK: "0" })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS.*TRENDING_APPLY_CHUNK/s,
    );
  });
});
