import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { UserService } from "../../../../../gen/recsys/user/v1/user_service_pb.js";
import type { UserDirectory } from "../domain/user-directory.js";
import { dependencyError } from "./dependency-error.js";

/** {@link UserDirectory} over UserService.GetUser. */
export class GrpcUserDirectory implements UserDirectory {
  /** @param client - a UserService client (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof UserService>) {}

  /**
   * @returns true when GetUser answers, false on NOT_FOUND.
   * @throws ConnectError UNAVAILABLE "user service is unavailable, retry later" on an outage,
   *   INTERNAL on any other failure.
   */
  async exists(userId: string): Promise<boolean> {
    try {
      await this.client.getUser({ userId });
      return true;
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.NotFound) return false;
      throw dependencyError(err, "user service");
    }
  }
}
