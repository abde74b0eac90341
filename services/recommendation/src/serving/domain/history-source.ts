import type { EngagementKind } from "../../../../shared/src/event-kinds.js";

/** One event of a user's history. */
export interface HistoryEvent {
  /** The product engaged with. */
  readonly productId: string;
  /** What the user did. */
  readonly kind: EngagementKind;
  /** The rating for "rate" (0.5 to 5), 0 otherwise. */
  readonly value: number;
}

/**
 * A user's recent engagement history, read live (EngagementService.GetUserHistory in production;
 * see `GrpcHistorySource`), so an event recorded a moment ago already shapes the next answer.
 */
export interface HistorySource {
  /**
   * @param userId - the user.
   * @param maxEvents - the largest number of events to return.
   * @returns the user's most recent events, newest first (empty for a user without events).
   * @throws UnavailableError when the history cannot be read.
   */
  recentEvents(userId: string, maxEvents: number): Promise<HistoryEvent[]>;
}
