import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "./history-source.js";
import { buildUserProfile, type ProfileOptions } from "./user-profile.js";

const OPTIONS: ProfileOptions = { positiveRating: 3.5, seenKinds: new Set(["rate", "like", "dislike"]), maxPositives: 3 };
const ev = (productId: string, kind: HistoryEvent["kind"], value = 0): HistoryEvent => ({ productId, kind, value });

describe("buildUserProfile", () => {
  it("takes ratings >= 3.5 and likes as positives, most recent first", () => {
    const profile = buildUserProfile([ev("a", "rate", 4), ev("b", "like"), ev("c", "rate", 3.5), ev("d", "rate", 3)], OPTIONS);
    expect(profile.positives).toEqual(["a", "b", "c"]);
    expect([...profile.seen].sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("lets the latest explicit opinion decide and ignores clicks and views", () => {
    // Newest first: the dislike of "a" overrides its older 5-star rating; "b" was only clicked.
    const profile = buildUserProfile([ev("a", "dislike"), ev("b", "click"), ev("b", "view"), ev("a", "rate", 5), ev("c", "rate", 2), ev("c", "like")], OPTIONS);
    expect(profile.positives).toEqual([]);
    expect([...profile.seen].sort()).toEqual(["a", "c"]);
  });

  it("bounds the positives and follows the configured seen kinds", () => {
    const events = ["p1", "p2", "p3", "p4", "p5"].map((id) => ev(id, "like"));
    expect(buildUserProfile(events, OPTIONS).positives).toEqual(["p1", "p2", "p3"]);
    const clicksSeen = buildUserProfile([ev("x", "click"), ev("y", "rate", 5)], { ...OPTIONS, seenKinds: new Set(["click"]) });
    expect([...clicksSeen.seen]).toEqual(["x"]);
    expect(clicksSeen.positives).toEqual(["y"]);
  });
});
