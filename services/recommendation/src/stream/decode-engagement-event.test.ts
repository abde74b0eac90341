import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { EngagementEventSchema, EventType } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { decodeEngagementEvent } from "./decode-engagement-event.js";

function encode(init: Parameters<typeof create<typeof EngagementEventSchema>>[1]): Buffer {
  return Buffer.from(toBinary(EngagementEventSchema, create(EngagementEventSchema, init)));
}

describe("decodeEngagementEvent", () => {
  it("decodes an EngagementEvent into a TrendingEvent, the rating included", () => {
    const r = decodeEngagementEvent(
      encode({
        event: { eventId: "e1", userId: "u", productId: "6", type: EventType.RATE, value: 4.5, occurTime: timestampFromMs(1_700_000_000_123) },
        categories: ["Action", "Crime"],
      }),
    );
    expect(r).toEqual({
      ok: true,
      event: {
        eventId: "e1",
        userId: "u",
        productId: "6",
        type: EventType.RATE,
        value: 4.5,
        occurredAtMs: 1_700_000_000_123,
        categories: ["Action", "Crime"],
      },
    });
  });

  it.each([
    ["a tombstone", null, "empty value"],
    ["garbage", Buffer.from([0xff, 0xff, 0xff]), "not an EngagementEvent"],
    ["no event", encode({ categories: ["x"] }), "no event"],
    ["no event_id", encode({ event: { userId: "u", productId: "6", type: EventType.CLICK, occurTime: timestampFromMs(0) } }), "no event_id"],
    // user_id is half of the idempotency key (and whose weight the cap limits).
    ["no user_id", encode({ event: { eventId: "e", productId: "6", type: EventType.CLICK, occurTime: timestampFromMs(0) } }), "no user_id"],
    ["no product_id", encode({ event: { eventId: "e", userId: "u", type: EventType.CLICK, occurTime: timestampFromMs(0) } }), "no product_id"],
    ["type UNSPECIFIED", encode({ event: { eventId: "e", userId: "u", productId: "6", occurTime: timestampFromMs(0) } }), "unknown type"],
    ["no occur_time", encode({ event: { eventId: "e", userId: "u", productId: "6", type: EventType.VIEW } }), "no occur_time"],
  ])("rejects %s", (_name, value, reason) => {
    const r = decodeEngagementEvent(value);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toContain(reason);
  });
});
