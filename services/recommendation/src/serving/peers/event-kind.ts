import { EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import type { EngagementKind } from "../../../../shared/src/event-kinds.js";

/**
 * Maps the engagement service's `EventType` to the domain's kind.
 *
 * @returns undefined for `EVENT_TYPE_UNSPECIFIED` and unknown numbers (such events are skipped).
 */
export function engagementKind(type: EventType): EngagementKind | undefined {
  switch (type) {
    case EventType.CLICK:
      return "click";
    case EventType.VIEW:
      return "view";
    case EventType.LIKE:
      return "like";
    case EventType.DISLIKE:
      return "dislike";
    case EventType.RATE:
      return "rate";
    default:
      return undefined;
  }
}
