import type { Logger } from "pino";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { createGrpcServer, registration, type GrpcServer } from "../../shared/src/grpc-server.js";
import { EngagementServiceImpl, type EngagementServiceDeps } from "./service.js";

/** Dependencies of {@link build}: the service's dependencies plus the process logger. */
export interface EngagementServerDeps extends EngagementServiceDeps {
  readonly logger: Logger;
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
    services: [registration(EngagementService, new EngagementServiceImpl(deps), "engagement database")],
  });
}
