import type { Client } from "@connectrpc/connect";
import type { EngagementService } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { dependencyError } from "../../../shared/src/peers/dependency-error.js";

/** What UserService.DeleteUser needs from the engagement side: erase one user's events. */
export interface UserEventsEraser {
  /**
   * Deletes every event of a user, records the deletion (later events of the user are refused) and
   * announces it on Kafka, in one engagement transaction; repeating it is harmless.
   *
   * @param userId - the user.
   * @returns the number of events deleted by this call.
   * @throws UnavailableError "engagement service is unavailable, retry later" when it cannot answer;
   *   Error "engagement service failed: …" on any other failure.
   */
  deleteUserEvents(userId: string): Promise<number>;
}

/**
 * {@link UserEventsEraser} over the internal `EngagementService.DeleteUserEvents` RPC (give the
 * client `serviceTokenInterceptor` and a deadline: a down or slow engagement service is UNAVAILABLE,
 * never a hang).
 */
export class GrpcUserEventsEraser implements UserEventsEraser {
  /** @param client - an EngagementService client carrying the service token. */
  constructor(private readonly client: Client<typeof EngagementService>) {}

  async deleteUserEvents(userId: string): Promise<number> {
    try {
      const { deletedEventCount } = await this.client.deleteUserEvents({ userId });
      return Number(deletedEventCount);
    } catch (err) {
      throw dependencyError("engagement service", err);
    }
  }
}
