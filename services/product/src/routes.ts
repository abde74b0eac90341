import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";

/**
 * Registers a ProductService implementation on a connect-es router, for
 * `createRouterTransport(routes(impl))` in tests and any connect-node adapter.
 *
 * @param impl - the implementation, normally a `ProductServiceImpl`.
 * @returns the router callback.
 */
export function routes(impl: ServiceImpl<typeof ProductService>) {
  return (router: ConnectRouter) => router.service(ProductService, impl);
}
