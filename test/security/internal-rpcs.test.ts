import { randomUUID } from "node:crypto";
import { create, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { beforeAll, describe, expect, it } from "vitest";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { hasHttpRule, PUBLIC_SERVICES } from "../../envoy/public-routes.js";
import { ListType } from "../../gen/recsys/engagement/v1/impression_pb.js";
import { newRecommendationId } from "../../services/shared/src/recommendation-id.js";
import { bearer, signUp, testMesh } from "../support/mesh.js";

// Internal RPCs (those without a google.api.http rule) answer on the services' gRPC ports only to
// callers holding the service token. Before, ScanEvents answered anyone with every user's events
// (and GetUserHistory and BatchGetProducts likewise) unless AUTH_REQUIRED_FOR_READS was on.

/** Every RPC without a google.api.http rule, with the service it belongs to and its cluster name. */
function internalMethods(): { cluster: keyof typeof PUBLIC_SERVICES; service: DescService; method: DescMethod }[] {
  return (Object.entries(PUBLIC_SERVICES) as [keyof typeof PUBLIC_SERVICES, DescService][]).flatMap(([cluster, service]) =>
    service.methods.filter((m) => !hasHttpRule(m)).map((method) => ({ cluster, service, method })),
  );
}

/** Internal RPCs that change a user's data: called for a throwaway user id. */
const DESTRUCTIVE = new Set(["DeleteUserEvents"]);

/** Calls one unary method on a service's own gRPC port, with a plausible request. */
async function call(cluster: keyof typeof PUBLIC_SERVICES, service: DescService, method: DescMethod, headers: Record<string, string>): Promise<string> {
  const transport = createGrpcTransport({ baseUrl: `http://${testMesh().grpc[cluster]}`, defaultTimeoutMs: 10_000 });
  const client = createClient(service, transport) as unknown as Record<string, (req: unknown, opts: unknown) => Promise<unknown>>;
  // Fields a method does not have are ignored by create(). The destructive DeleteUserEvents gets a
  // user of its own: with the service token it would delete MovieLens user 1's events, which other
  // suites of the shared mesh read.
  const userId = DESTRUCTIVE.has(method.name) ? `internal-rpc-check-${randomUUID()}` : "1";
  const request = create(method.input, {
    userId,
    productIds: ["1"],
    pageSize: 1,
    maxEvents: 1,
    // RecordImpressions: one anonymous SIMILAR list of its own (a fresh id), which no suite counts.
    impressions: [{ recommendationId: newRecommendationId(), listType: ListType.SIMILAR, productIds: ["1"], shownTime: timestampNow() }],
  } as never);
  return client[method.localName]!(request, { headers }).then(
    () => "OK",
    (err: unknown) => Code[ConnectError.from(err).code],
  );
}

describe("internal RPCs on the gRPC ports", () => {
  let userToken: string;

  beforeAll(async () => {
    userToken = (await signUp(`internal_${randomUUID().slice(0, 8)}`)).token;
  });

  it("are exactly the ones the edge does not route (ScanEvents, GetUserHistory, BatchGetProducts, …)", () => {
    const names = internalMethods().map(({ method }) => method.name);
    expect(names).toEqual(expect.arrayContaining(["ScanEvents", "GetUserHistory", "BatchGetProducts"]));
  });

  it("refuse anonymous callers (401) and user tokens (403), and answer the service token", async () => {
    for (const { cluster, service, method } of internalMethods()) {
      const name = `${service.typeName}/${method.name}`;
      expect(await call(cluster, service, method, {}), `${name} anonymous`).toBe(Code[Code.Unauthenticated]);
      expect(await call(cluster, service, method, bearer("not-a-token")), `${name} bad token`).toBe(Code[Code.Unauthenticated]);
      expect(await call(cluster, service, method, bearer(userToken)), `${name} user token`).toBe(Code[Code.PermissionDenied]);
      expect(await call(cluster, service, method, bearer()), `${name} service token`).toBe("OK");
    }
  });
});
