import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { createGrpcServer, registration, type GrpcServer } from "../../../shared/src/grpc-server.js";
import { RecommendationServiceImpl, type RecommendationServiceDeps } from "./service.js";

/**
 * Builds the RecommendationService gRPC server (with health and reflection) without listening;
 * call `listen(host, port)` on the result. Outages of what it calls answer UNAVAILABLE naming the
 * service that is down.
 *
 * @param deps - models, user directory, history, trending source, settings, logger.
 */
export function build(deps: RecommendationServiceDeps): GrpcServer {
  return createGrpcServer({
    logger: deps.logger,
    services: [registration(RecommendationService, new RecommendationServiceImpl(deps), "a service the recommender depends on")],
  });
}
