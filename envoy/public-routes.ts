import { getOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import { EngagementService } from "../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductService } from "../gen/recsys/product/v1/product_service_pb.js";
import { RecommendationService } from "../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { UserService } from "../gen/recsys/user/v1/user_service_pb.js";

/** The services behind the public listener, by Envoy cluster name. */
export const PUBLIC_SERVICES = {
  recommendation: RecommendationService,
  product: ProductService,
  user: UserService,
  engagement: EngagementService,
} as const satisfies Record<string, DescService>;

/** One RPC the public listener serves. */
export interface PublicRoute {
  /** The Envoy cluster (service) that answers it. */
  readonly cluster: keyof typeof PUBLIC_SERVICES;
  /** Its gRPC path, `/<package>.<Service>/<Method>`: what a transcoded REST call is routed by. */
  readonly path: string;
}

/**
 * Whether an RPC is public: it has a `google.api.http` rule. RPCs without one are internal (the
 * edge never routes them; the services answer them only to the service token).
 *
 * @param method - the RPC's descriptor.
 */
export function hasHttpRule(method: DescMethod): boolean {
  return getOption(method, http).pattern.case !== undefined;
}

/**
 * The RPCs the public listener serves: exactly those with a `google.api.http` rule in the protos
 * (https://cloud.google.com/endpoints/docs/grpc-service-config/reference/rpc/google.api#http).
 * Internal RPCs (ScanEvents, GetUserHistory, BatchGetProducts, …) have none, so the edge never
 * routes them: not as REST, not as raw gRPC over the public port.
 *
 * @returns the routes, in service then method order.
 */
export function publicRoutes(): PublicRoute[] {
  const routes: PublicRoute[] = [];
  for (const [cluster, service] of Object.entries(PUBLIC_SERVICES) as [keyof typeof PUBLIC_SERVICES, DescService][]) {
    for (const method of service.methods) {
      if (hasHttpRule(method)) routes.push({ cluster, path: `/${service.typeName}/${method.name}` });
    }
  }
  return routes;
}
