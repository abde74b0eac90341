import type { Logger } from "pino";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { createGrpcServer, registration, type GrpcServer, type ServiceRegistration } from "../../shared/src/grpc-server.js";
import { EngagementServiceImpl, type EngagementServiceDeps } from "./service.js";

/** Dependencies of {@link build}: the service's dependencies plus the process logger. */
export interface EngagementServerDeps extends EngagementServiceDeps {
  readonly logger: Logger;
}

/**
 * The EngagementService registration (implementation and the dependency named in UNAVAILABLE
 * answers, "engagement database"): what {@link build} serves over gRPC, and what tests serve in
 * process with `createClient(EngagementService, inMemoryTransport(engagementRegistration(deps)))`.
 *
 * @param deps - repository, look-ups, topic and clock.
 */
export function engagementRegistration(deps: EngagementServiceDeps): ServiceRegistration {
  return registration(EngagementService, new EngagementServiceImpl(deps), "engagement database");
}

/**
 * Builds the engagement gRPC server (EngagementService, health, reflection) without listening.
 * Connection failures of the engagement database surface as UNAVAILABLE "engagement database is
 * unavailable, retry later".
 *
 * @param deps - repository, look-ups, topic, clock and logger.
 */
export function build(deps: EngagementServerDeps): GrpcServer {
  return createGrpcServer({
    logger: deps.logger,
    services: [engagementRegistration(deps)],
  });
}
