import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";

/**
 * Registers a RecommendationService implementation on a connect-es router, for
 * `createRouterTransport(routes(impl))` in tests and any connect-node adapter.
 *
 * @param impl - the implementation, normally a `RecommendationServiceImpl`.
 * @returns the router callback.
 */
export function routes(impl: ServiceImpl<typeof RecommendationService>) {
  return (router: ConnectRouter) => router.service(RecommendationService, impl);
}
