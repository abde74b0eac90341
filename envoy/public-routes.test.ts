import { describe, expect, it } from "vitest";
import { publicRoutes } from "./public-routes.js";
import { buildEnvoyConfig, OPENAPI_MAX_BYTES, OPENAPI_PATH, renderEnvoyConfig, type EnvoyConfigOptions } from "./render-config.js";

/** A configuration with every upstream on 127.0.0.1 (the route table does not depend on them). */
const OPTIONS: EnvoyConfigOptions = {
  listenPort: 8080,
  adminPort: 9901,
  descriptorPath: "/tmp/descriptor.binpb",
  upstreams: {
    recommendation: { host: "127.0.0.1", port: 1 },
    product: { host: "127.0.0.1", port: 2 },
    user: { host: "127.0.0.1", port: 3 },
    engagement: { host: "127.0.0.1", port: 4 },
  },
};

describe("publicRoutes", () => {
  it("lists exactly the RPCs that have a google.api.http rule", () => {
    const paths = publicRoutes().map((r) => r.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/recsys.product.v1.ProductService/GetProduct",
        "/recsys.product.v1.ProductService/ListProducts",
        "/recsys.engagement.v1.EngagementService/RecordEvent",
        "/recsys.recommendation.v1.RecommendationService/GetRecommendations",
        "/recsys.user.v1.UserService/CreateSession",
      ]),
    );
    for (const internal of ["ScanEvents", "GetUserHistory", "BatchGetProducts"]) {
      expect(paths.some((p) => p.endsWith(`/${internal}`)), internal).toBe(false);
    }
  });

  it("is the whole route table of the rendered Envoy configuration (no prefix routes)", () => {
    const yaml = renderEnvoyConfig(OPTIONS);
    expect(yaml).not.toMatch(/prefix: \/recsys/);
    for (const { path } of publicRoutes()) expect(yaml).toContain(`path: ${path}`);
  });

  it("adds exactly one route besides them when the OpenAPI document is given: GET /openapi.json, answered from the file", () => {
        interface Route {
      match: { path?: string };
      direct_response?: { status: number };
    }
    interface RouteConfig {
      virtual_hosts: { routes: Route[] }[];
      max_direct_response_body_size_bytes?: number;
    }
    const routeConfig = (o: EnvoyConfigOptions): RouteConfig => {
      const config = buildEnvoyConfig(o) as unknown as {
        static_resources: { listeners: { filter_chains: { filters: { typed_config: { route_config: RouteConfig } }[] }[] }[] };
      };
      return config.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config;
    };
    const without = routeConfig(OPTIONS);
    expect(without.virtual_hosts[0]!.routes.filter((r) => r.direct_response?.status !== 405)).toHaveLength(publicRoutes().length);
    expect(without.max_direct_response_body_size_bytes).toBeUndefined();
    const withDocument = routeConfig({ ...OPTIONS, openApiDocumentPath: "/srv/openapi.json" });
    const extra = withDocument.virtual_hosts[0]!.routes.filter((r) => !publicRoutes().some((p) => p.path === r.match.path) && r.direct_response?.status !== 405);
    expect(extra).toEqual([
      {
        match: { path: OPENAPI_PATH, headers: [{ name: ":method", string_match: { exact: "GET" } }] },
        direct_response: { status: 200, body: { filename: "/srv/openapi.json" } },
        response_headers_to_add: [{ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "content-type", value: "application/json" } }],
      },
    ]);
    expect(withDocument.max_direct_response_body_size_bytes).toBe(OPENAPI_MAX_BYTES);
  });
});
