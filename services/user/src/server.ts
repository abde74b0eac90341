import type { Logger } from "pino";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";
import { createGrpcServer, registration, type GrpcServer, type ServiceRegistration } from "../../shared/src/grpc-server.js";
import { UserServiceImpl, type UserServiceDeps } from "./service.js";

/** What the UserService server needs: the service's dependencies plus a logger. */
export interface UserServerDeps extends UserServiceDeps {
  /** Process logger. */
  readonly logger: Logger;
}

/**
 * The UserService registration (implementation and the dependency named in UNAVAILABLE answers,
 * "users database"): what {@link build} serves over gRPC, and what tests serve in process with
 * `createClient(UserService, inMemoryTransport(userRegistration(deps)))`.
 *
 * @param deps - repository and token settings.
 */
export function userRegistration(deps: UserServiceDeps): ServiceRegistration {
  return registration(UserService, new UserServiceImpl(deps), "users database");
}

/**
 * Builds the UserService gRPC server (with health and reflection) without listening; call
 * `listen(host, port)` on the result. Database outages answer UNAVAILABLE naming the users database.
 *
 * @param deps - repository, token settings and logger.
 */
export function build(deps: UserServerDeps): GrpcServer {
  const { logger, ...serviceDeps } = deps;
  return createGrpcServer({
    logger,
    services: [userRegistration(serviceDeps)],
  });
}
