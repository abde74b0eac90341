import { describe, expect, it } from "vitest";
import { DEV_SERVICE_TOKEN } from "../../shared/src/access-control.js";
import { DEV_JWT_SECRET } from "../../shared/src/access-token.js";
import { loadProductConfig } from "./config.js";

describe("loadProductConfig", () => {
  it("has documented defaults and fails fast on a bad value", () => {
    expect(loadProductConfig({})).toEqual({
      HOST: "127.0.0.1",
      METRICS_HOST: "127.0.0.1",
      PORT: 50052,
      HEALTH_CHECK_INTERVAL_MS: 1_000,
      HEALTH_CHECK_TIMEOUT_MS: 1_000,
      DATABASE_URL: "postgres://recsys:recsys@127.0.0.1:5432/recsys_product",
      DATABASE_POOL_MAX: 10,
      CATEGORIES_CACHE_MS: 1_000,
      CATALOG_INDEX_POLL_MS: 200,
      KAFKA_BROKERS: ["127.0.0.1:9092"],
      KAFKA_CATALOG_TOPIC: "catalog-changes",
      KAFKA_CATALOG_TOPIC_PARTITIONS: 3,
      OUTBOX_BATCH_SIZE: 1_000,
      OUTBOX_POLL_INTERVAL_MS: 500,
      JWT_SECRET: DEV_JWT_SECRET,
      SERVICE_TOKEN: DEV_SERVICE_TOKEN,
      AUTH_REQUIRED_FOR_READS: true,
    });
    expect(() => loadProductConfig({ CATEGORIES_CACHE_MS: "-1" })).toThrow(/CATEGORIES_CACHE_MS/);
    expect(() => loadProductConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(loadProductConfig({ METRICS_PORT: "off" }).METRICS_PORT).toBe("off");
    expect(loadProductConfig({ METRICS_PORT: "9100" }).METRICS_PORT).toBe(9100);
    expect(() => loadProductConfig({ METRICS_PORT: "metrics" })).toThrow(/METRICS_PORT/);
    expect(() => loadProductConfig({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
    expect(() => loadProductConfig({ KAFKA_CATALOG_TOPIC: "bad topic" })).toThrow(/KAFKA_CATALOG_TOPIC/);
  });
});
