import type { Client } from "@connectrpc/connect";
import type { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import type { HistoryEvent, HistorySource } from "../domain/history-source.js";
import { engagementKind } from "../../../../shared/src/event-kinds.js";
import { dependencyError } from "../../../../shared/src/peers/dependency-error.js";

/** {@link HistorySource} over EngagementService.GetUserHistory (live, newest first). */
export class GrpcHistorySource implements HistorySource {
  /** @param client - an EngagementService client (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof EngagementService>) {}

  /**
   * @param userId - the user.
   * @param maxEvents - 1 to 10000 (the RPC's bound).
   * @returns the user's most recent events, newest first; events of unknown type are skipped.
   * @throws UnavailableError "engagement service is unavailable, retry later" on an outage; Error
   *   "engagement service failed: …" on any other failure (see `dependencyError`).
   */
  async recentEvents(userId: string, maxEvents: number): Promise<HistoryEvent[]> {
    try {
      const res = await this.client.getUserHistory({ userId, maxEvents });
      const events: HistoryEvent[] = [];
      for (const e of res.events) {
        const kind = engagementKind(e.type);
        if (kind) events.push({ productId: e.productId, kind, value: e.value });
      }
      return events;
    } catch (err) {
      throw dependencyError("engagement service", err);
    }
  }
}
