import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { UserService } from "../../../gen/recsys/user/v1/user_service_pb.js";

/**
 * Registers a UserService implementation on a connect-es router, for
 * `createRouterTransport(routes(impl))` in tests and any connect-node adapter.
 *
 * @param impl - the implementation, normally a `UserServiceImpl`.
 * @returns the router callback.
 */
export function routes(impl: ServiceImpl<typeof UserService>) {
  return (router: ConnectRouter) => router.service(UserService, impl);
}
