import { getOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../gen/google/api/http_pb.js";
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

/** One REST route of the public listener: an HTTP method and path template of a `google.api.http` rule. */
export interface RestRoute {
  /** The HTTP method, upper case (`GET`, `POST`, `PATCH`, …). */
  readonly method: string;
  /** The path template as the rule writes it, for example `/v1/products/{product_id}`. */
  readonly template: string;
}

/**
 * The REST routes of {@link publicRoutes}: each RPC's `google.api.http` method and path template
 * (`additional_bindings` included).
 *
 * @returns the routes, in service then method order.
 */
export function restRoutes(): RestRoute[] {
  const routes: RestRoute[] = [];
  const add = (rule: HttpRule): void => {
    const { pattern } = rule;
    if (pattern.case === undefined) return;
    if (pattern.case === "custom") routes.push({ method: pattern.value.kind.toUpperCase(), template: pattern.value.path });
    else routes.push({ method: pattern.case.toUpperCase(), template: pattern.value });
    rule.additionalBindings.forEach(add);
  };
  for (const service of Object.values(PUBLIC_SERVICES) as DescService[]) {
    for (const method of service.methods) add(getOption(method, http));
  }
  return routes;
}
