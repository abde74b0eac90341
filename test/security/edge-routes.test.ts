import { request, type IncomingHttpHeaders } from "node:http";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { EngagementService } from "../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { bearer, rest, testMesh } from "../support/mesh.js";

// The public listener serves exactly the google.api.http routes. Before, Envoy routed by service
// prefix, so internal RPCs answered on :8080 over raw gRPC (h2c): ScanEvents returned every user's
// events to an anonymous caller, GetUserHistory and BatchGetProducts likewise.

/** One HTTP/1.1 request through Envoy with any method (fetch refuses TRACE). */
function plainRequest(method: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${testMesh().restUrl}${path}`, { method, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A gRPC client of a service through Envoy's public port (h2c), as an outside caller would make. */
function throughEdge<S extends typeof EngagementService | typeof ProductService>(service: S) {
  return createClient(service, createGrpcTransport({ baseUrl: testMesh().restUrl, defaultTimeoutMs: 5_000 }));
}

describe("the public listener", () => {
  it("does not route internal RPCs, even with the service token", async () => {
    const engagement = throughEdge(EngagementService);
    const products = throughEdge(ProductService);
    const calls: [string, () => Promise<unknown>][] = [
      ["ScanEvents", () => engagement.scanEvents({ pageSize: 10 }, { headers: bearer() })],
      ["GetUserHistory", () => engagement.getUserHistory({ userId: "1", maxEvents: 10 }, { headers: bearer() })],
      ["BatchGetProducts", () => products.batchGetProducts({ productIds: ["1"] }, { headers: bearer() })],
      // Impressions come from the recommendation service only: a client could otherwise inflate or
      // fake the lists that click-through rates divide by.
      ["RecordImpressions", () => engagement.recordImpressions({ impressions: [] }, { headers: bearer() })],
      ["GetEngagementStatus", () => engagement.getEngagementStatus({}, { headers: bearer() })],
    ];
    for (const [name, call] of calls) {
      const outcome = await call().then(
        () => "OK",
        (err: unknown) => Code[ConnectError.from(err).code],
      );
      expect(outcome, name).toBe(Code[Code.Unimplemented]);
    }
  });

  it("still serves the public RPCs over gRPC and REST, and answers 404 for any other path", async () => {
    const product = await throughEdge(ProductService).getProduct({ productId: "1" });
    expect(product.product?.title).toBe("Toy Story (1995)");
    const viaRest = await rest("GET", "/v1/products/1");
    expect(viaRest.status).toBe(200);
    for (const path of ["/v1/events:scan", "/recsys.engagement.v1.EngagementService/ScanEvents", "/v1/nothing-here", "/"]) {
      const res = await rest("GET", path);
      expect(res.status, path).toBe(404);
    }
  });

  it("answers 405 with allow for a method a REST path does not declare, reaching no service", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/v1/products/1", "GET, PATCH, DELETE"],
      ["DELETE", "/v1/categories", "GET"],
      ["PUT", "/v1/users/1", "PATCH, GET, DELETE"],
      ["TRACE", "/v1/events", "POST"],
      ["QUERY", "/v1/trending", "GET"],
      ["GET", "/v1/events:batch", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await plainRequest(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers["allow"], `${method} ${path}`).toBe(allow);
      expect(JSON.parse(res.body)).toEqual({ code: 12, message: expect.stringContaining("method not allowed") });
    }
    // Not a REST path: still no route.
    for (const path of ["/v1/products/1/2", "/v1/users//events", "/v1/eventsx"]) {
      expect((await plainRequest("DELETE", path)).status, path).toBe(404);
    }
  });
});
