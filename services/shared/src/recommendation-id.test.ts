import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { newRecommendationId, requireRecommendationId } from "./recommendation-id.js";

describe("recommendation ids", () => {
  it("are UUIDv7s that sort by time and pass their own validation", () => {
    const a = newRecommendationId(1_700_000_000_000);
    const b = newRecommendationId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace("-", "")).toBe((1_700_000_000_000).toString(16).padStart(12, "0"));
    expect(requireRecommendationId("recommendation_id", a)).toBe(a);
    expect(new Set(Array.from({ length: 1000 }, () => newRecommendationId(0))).size).toBe(1000);
  });

  it("accept any UUID in canonical form, in either case, as lower case", () => {
    expect(requireRecommendationId("f", "0F8FAD5B-D9CB-469F-A165-70867728950E")).toBe("0f8fad5b-d9cb-469f-a165-70867728950e");
  });

  it.each([
    ["too long", "0f8fad5b-d9cb-469f-a165-70867728950e0", "must be at most 36 characters, got 37"],
    ["no dashes", "0f8fad5bd9cb469fa16570867728950e", "must be a recommendation_id"],
    ["not hex", "0f8fad5b-d9cb-469f-a165-70867728950g", "must be a recommendation_id"],
    ["free text", "hello", "must be a recommendation_id"],
  ])("refuse %s, naming the field", (_name, value, problem) => {
    let err: unknown;
    try {
      requireRecommendationId("recommendation_id", value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage.startsWith(`recommendation_id: ${problem}`)).toBe(true);
  });
});
