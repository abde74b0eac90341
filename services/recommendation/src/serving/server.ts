import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { createGrpcServer, registration, type GrpcServer, type ServiceRegistration } from "../../../shared/src/grpc-server.js";
import { RecommendationServiceImpl, type RecommendationServiceDeps } from "./service.js";

/**
 * The RecommendationService registration (implementation and the dependency named in UNAVAILABLE
 * answers, "a service the recommender depends on"): what {@link build} serves over gRPC, and what
 * tests serve in process with
 * `createClient(RecommendationService, inMemoryTransport(recommendationRegistration(deps)))`.
 *
 * @param deps - models, user directory, history, trending source, settings, logger.
 */
export function recommendationRegistration(deps: RecommendationServiceDeps): ServiceRegistration {
  return registration(RecommendationService, new RecommendationServiceImpl(deps), "a service the recommender depends on");
}

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
    services: [recommendationRegistration(deps)],
  });
}
