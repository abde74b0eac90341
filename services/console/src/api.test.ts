import { describe, expect, it } from "vitest";
import { eventBody } from "./api.js";

describe("eventBody", () => {
  it("carries the list's recommendationId, so the click is attributed to that list", () => {
    const id = "0193a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b";
    expect(eventBody("u1", "42", "EVENT_TYPE_CLICK", { recommendationId: id })).toEqual({ userId: "u1", productId: "42", type: "EVENT_TYPE_CLICK", recommendationId: id });
    expect(eventBody("u1", "42", "EVENT_TYPE_RATE", { value: 4.5, recommendationId: id })).toEqual({ userId: "u1", productId: "42", type: "EVENT_TYPE_RATE", value: 4.5, recommendationId: id });
  });

  it("leaves out an empty or absent id and an absent value (an event from outside a list)", () => {
    expect(eventBody("u1", "42", "EVENT_TYPE_LIKE")).toEqual({ userId: "u1", productId: "42", type: "EVENT_TYPE_LIKE" });
    expect(eventBody("u1", "42", "EVENT_TYPE_LIKE", { recommendationId: "", value: undefined })).toEqual({ userId: "u1", productId: "42", type: "EVENT_TYPE_LIKE" });
  });
});
