import type { ConnectRouter } from "@connectrpc/connect";
import { EngagementService } from "../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import type { EngagementServiceImpl } from "./service.js";

/**
 * Registers the engagement service on a connect-es router (for `createRouterTransport` in tests or a
 * Connect/HTTP adapter).
 *
 * @param impl - the service implementation.
 */
export function routes(impl: EngagementServiceImpl) {
  return (router: ConnectRouter) => router.service(EngagementService, impl);
}
