import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("engagement config", () => {
  it("has documented defaults", () => {
    expect(loadConfig({})).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 50054,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_engagement",
      KAFKA_BROKERS: ["127.0.0.1:9092"],
      KAFKA_TOPIC: "engagement-events",
      KAFKA_TOPIC_PARTITIONS: 3,
      KAFKA_TOPIC_RETENTION_MS: 604_800_000,
      PRODUCT_SERVICE_ADDR: "127.0.0.1:50052",
      USER_SERVICE_ADDR: "127.0.0.1:50053",
      LOOKUP_CACHE_SIZE: 10_000,
      LOOKUP_CACHE_TTL_MS: 60_000,
      OUTBOX_BATCH_SIZE: 2_000,
      OUTBOX_POLL_INTERVAL_MS: 500,
    });
  });

  it("splits broker lists and names every bad variable", () => {
    expect(loadConfig({ KAFKA_BROKERS: "a:1, b:2" }).KAFKA_BROKERS).toEqual(["a:1", "b:2"]);
    expect(loadConfig({ KAFKA_TOPIC_RETENTION_MS: "-1" }).KAFKA_TOPIC_RETENTION_MS).toBe(-1);
    expect(() => loadConfig({ KAFKA_TOPIC_RETENTION_MS: "0" })).toThrow(/KAFKA_TOPIC_RETENTION_MS/);
    expect(() => loadConfig({ PORT: "70000", KAFKA_BROKERS: "nohost", OUTBOX_BATCH_SIZE: "0" })).toThrow(
      /PORT.*KAFKA_BROKERS.*OUTBOX_BATCH_SIZE/,
    );
  });
});
