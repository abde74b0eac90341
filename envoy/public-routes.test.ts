import { describe, expect, it } from "vitest";
import { publicRoutes } from "./public-routes.js";
import { renderEnvoyConfig } from "./render-config.js";

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
    const yaml = renderEnvoyConfig({
      listenPort: 8080,
      adminPort: 9901,
      descriptorPath: "/tmp/descriptor.binpb",
      upstreams: {
        recommendation: { host: "127.0.0.1", port: 1 },
        product: { host: "127.0.0.1", port: 2 },
        user: { host: "127.0.0.1", port: 3 },
        engagement: { host: "127.0.0.1", port: 4 },
      },
    });
    expect(yaml).not.toMatch(/prefix: \/recsys/);
    for (const { path } of publicRoutes()) expect(yaml).toContain(`path: ${path}`);
  });
});
