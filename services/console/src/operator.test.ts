import { describe, expect, it } from "vitest";
import { describeFailure, formatDuration, formatPercent, isTokenFailure, parseClickThroughRates, parseServingStatus, updatedAgo } from "./operator.js";

describe("the operator view's reading of the API", () => {
  it("reads the serving status, int64 strings as numbers and missing figures as unknown", () => {
    const status = parseServingStatus({
      model: { version: "20261203T061500123Z-1a2b3c4d", hrAt10: 0.74, ndcgAt10: 0.49, validationUsers: "610", ageSeconds: 3600.5 },
      unavailableSignals: ["trending"],
      eventsPerSecond: 12.5,
      outboxPendingRows: "7",
      outboxOldestRowAgeSeconds: 3,
      recentErrors: [{ time: "2026-12-03T07:00:00Z", source: "engagement-status", message: "no answer within 2 s", count: "4" }],
    });
    expect(status).toEqual({
      model: { version: "20261203T061500123Z-1a2b3c4d", hrAt10: 0.74, ndcgAt10: 0.49, validationUsers: 610, ageSeconds: 3600.5 },
      unavailableSignals: ["trending"],
      eventsPerSecond: 12.5,
      outboxPendingRows: 7,
      outboxOldestRowAgeSeconds: 3,
      consumerLagMessages: undefined,
      recentErrors: [{ time: "2026-12-03T07:00:00Z", source: "engagement-status", message: "no answer within 2 s", count: 4 }],
    });
    expect(parseServingStatus({})).toMatchObject({ model: undefined, unavailableSignals: [], recentErrors: [], eventsPerSecond: undefined });
    expect(parseServingStatus({ model: { version: "v" } }).model).toEqual({ version: "v", hrAt10: undefined, ndcgAt10: undefined, validationUsers: 0, ageSeconds: 0 });
  });

  it("always gives the three list types in order, zeros for what proto3 JSON left out", () => {
    const rates = parseClickThroughRates({
      rates: [
        { listType: "LIST_TYPE_TRENDING", listsShown: "3", itemsShown: "30" },
        { listType: "LIST_TYPE_FOR_YOU", listsShown: "2", itemsShown: "24", attributedClicks: "1", clickThroughRate: 1 / 24 },
      ],
    });
    expect(rates.map((r) => r.kind)).toEqual(["for-you", "similar", "trending"]);
    expect(rates[0]).toEqual({ kind: "for-you", label: "For you", listsShown: 2, itemsShown: 24, attributedClicks: 1, rate: 1 / 24 });
    expect(rates[1]).toMatchObject({ listsShown: 0, itemsShown: 0, attributedClicks: 0, rate: 0 });
    expect(rates[2]).toMatchObject({ listsShown: 3, itemsShown: 30, attributedClicks: 0, rate: 0 });
    expect(parseClickThroughRates(null).map((r) => r.rate)).toEqual([0, 0, 0]);
  });
});

describe("the operator view's wording", () => {
  it("writes durations, percentages and the time since the last answer", () => {
    expect([0, 42.9, 60, 300, 3600, 3600 * 3 + 600, 86_400, 86_400 * 2 + 3600 * 4, -5].map(formatDuration)).toEqual(["0 s", "42 s", "1 min", "5 min", "1 h", "3 h 10 min", "1 d", "2 d 4 h", "0 s"]);
    expect(formatPercent(1 / 24)).toBe("4.17 %");
    expect(formatPercent(0)).toBe("0.00 %");
    expect(updatedAgo(undefined, 1_000)).toBe("not updated yet");
    expect(updatedAgo(10_000, 14_400)).toBe("updated 4 s ago");
  });

  it("names the route and the cause of a failure; only 401 and 403 stop the polling", () => {
    expect(describeFailure("Serving status", "GET /v1/operator/status", 401, "x")).toMatch(/^Serving status \(GET \/v1\/operator\/status\) refused the token: 401 .*service token/);
    expect(describeFailure("Serving status", "GET /v1/operator/status", 403, "x")).toMatch(/403 permission denied\. It is a user's token/);
    expect(describeFailure("Click-through rates", "GET /v1/operator/click-through-rates", 503, "query cancelled")).toBe(
      "Click-through rates (GET /v1/operator/click-through-rates) is unavailable right now: 503 query cancelled. Retrying every 3 s.",
    );
    expect(describeFailure("Serving status", "GET /v1/operator/status", 0, "")).toMatch(/could not be reached/);
    expect([401, 403, 503, 0, 500].map(isTokenFailure)).toEqual([true, true, false, false, false]);
  });
});
