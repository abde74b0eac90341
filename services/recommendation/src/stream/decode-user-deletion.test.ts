import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { EngagementEventSchema, EventSchema, EventType, UserDeletionSchema } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { decodeEngagementEvent } from "./decode-engagement-event.js";
import { decodeUserDeletion } from "./decode-user-deletion.js";

const T = Date.UTC(2026, 11, 1, 12, 0, 0);

function deletionMessage(events: Parameters<typeof create<typeof EventSchema>>[1][]): Buffer {
  return Buffer.from(
    toBinary(
      EngagementEventSchema,
      create(EngagementEventSchema, {
        userDeletion: create(UserDeletionSchema, { userId: "u-1", deleteTime: timestampFromMs(T), events: events.map((e) => create(EventSchema, e)) }),
      }),
    ),
  );
}

describe("decodeUserDeletion", () => {
  it("decodes the user and the listed events, with acceptance times", () => {
    const value = deletionMessage([
      { eventId: "e1", userId: "u-1", productId: "7", type: EventType.LIKE, occurTime: timestampFromMs(T - 2_000), acceptTime: timestampFromMs(T - 1_000) },
      { eventId: "e2", userId: "u-1", productId: "8", type: EventType.CLICK, occurTime: timestampFromMs(T - 500) },
    ]);
    expect(decodeUserDeletion(value)).toEqual({
      userId: "u-1",
      events: [
        { eventId: "e1", productId: "7", type: EventType.LIKE, occurredAtMs: T - 2_000, acceptedAtMs: T - 1_000 },
        { eventId: "e2", productId: "8", type: EventType.CLICK, occurredAtMs: T - 500, acceptedAtMs: T - 500 },
      ],
    });
    // An old consumer reads it as no event at all (skipped, never applied as an engagement).
    expect(decodeEngagementEvent(value)).toEqual({ ok: false, reason: "no event" });
  });

  it("drops listed events it cannot subtract, keeps the deletion", () => {
    const value = deletionMessage([{ eventId: "e1", userId: "u-1", productId: "", type: EventType.LIKE, occurTime: timestampFromMs(T) }, { eventId: "e2", userId: "u-1", productId: "9", type: EventType.RATE }]);
    expect(decodeUserDeletion(value)).toEqual({ userId: "u-1", events: [] });
  });

  it("is undefined for engagement events, empty values, garbage and a deletion without a user", () => {
    const event = Buffer.from(
      toBinary(EngagementEventSchema, create(EngagementEventSchema, { event: create(EventSchema, { eventId: "e", userId: "u", productId: "p", type: EventType.CLICK, occurTime: timestampFromMs(T) }) })),
    );
    expect(decodeUserDeletion(event)).toBeUndefined();
    expect(decodeUserDeletion(null)).toBeUndefined();
    expect(decodeUserDeletion(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(decodeUserDeletion(Buffer.from(toBinary(EngagementEventSchema, create(EngagementEventSchema, { userDeletion: create(UserDeletionSchema, {}) }))))).toBeUndefined();
  });
});
