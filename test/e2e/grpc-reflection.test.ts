import { readFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearer, grpcurl, rest, testMesh } from "../support/mesh.js";

// What a platform engineer does first with grpcurl: list, describe, health-check and call each
// service over plain gRPC, using server reflection (no .proto files on the client).

const SERVICES = {
  recommendation: "recsys.recommendation.v1.RecommendationService",
  product: "recsys.product.v1.ProductService",
  user: "recsys.user.v1.UserService",
  engagement: "recsys.engagement.v1.EngagementService",
} as const;

describe("gRPC reflection and health", () => {
  for (const [name, typeName] of Object.entries(SERVICES)) {
    it(`${name}: grpcurl list, describe and health check work`, async () => {
      const address = testMesh().grpc[name as keyof typeof SERVICES];
      const list = await grpcurl([address, "list"]);
      expect(list.split("\n")).toEqual(expect.arrayContaining([typeName, "grpc.health.v1.Health"]));
      const describe = await grpcurl([address, "describe", typeName]);
      expect(describe).toContain(`${typeName} is a service`);
      const health = await grpcurl(["-d", JSON.stringify({ service: typeName }), address, "grpc.health.v1.Health/Check"]);
      expect(JSON.parse(health)).toEqual({ status: "SERVING" });
    });
  }

  it("calls GetProduct with grpcurl through reflection", async () => {
    const out = await grpcurl(["-d", '{"product_id":"6"}', testMesh().grpc.product, `${SERVICES.product}/GetProduct`]);
    expect(JSON.parse(out).product.title).toBe("Heat (1995)");
  });
});

describe("request ids", () => {
  it("carries one request id from Envoy through RecommendationService into the services it calls", async () => {
    // A new account: the recommendation service has not cached it, so it asks UserService. (Its
    // profile comes from the per-user state in Redis, so EngagementService is not called.)
    const username = `rid_${randomUUID().slice(0, 8)}`;
    const created = await rest<{ user: { userId: string } }>("POST", "/v1/users", { username, email: `${username}@example.com`, password: "a long password" });
    expect(created.status).toBe(200);
    const requestId = `e2e-${randomUUID()}`;
    const res = await rest("GET", `/v1/users/${created.body.user.userId}/recommendations?limit=3`, undefined, { "x-request-id": requestId, ...bearer() });
    expect(res.status).toBe(200);
    const { logDir } = testMesh();
    const deadline = Date.now() + 5_000;
    let services: string[] = [];
    while (Date.now() < deadline) {
      services = [];
      for (const name of ["recommendation", "user"]) {
        const log = await readFile(path.join(logDir, `${name}.log`), "utf8");
        const line = log.split("\n").find((l) => l.includes(requestId));
        if (line) {
          expect(JSON.parse(line)).toMatchObject({ requestId, service: name });
          services.push(name);
        }
      }
      if (services.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(services).toEqual(["recommendation", "user"]);
  });
});
