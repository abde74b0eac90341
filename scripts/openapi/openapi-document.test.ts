import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPENAPI_MAX_BYTES } from "../../envoy/render-config.js";
import { PUBLIC_SERVICES, publicRoutes } from "../../envoy/public-routes.js";
import { OPENAPI_DOCUMENT } from "../infra/envoy.js";
import { BEARER_SCHEME, type JsonObject } from "./fit-to-envoy.js";

// The committed gen/openapi/openapi.json (npm run check:gen holds it to what the protos generate)
// describes what Envoy serves: the public routes only, the transcoder's JSON, the bearer header.

const doc = JSON.parse(readFileSync(OPENAPI_DOCUMENT, "utf8")) as JsonObject;
const schemas = (doc.components as JsonObject).schemas as Record<string, JsonObject>;
const operations = Object.values(doc.paths as Record<string, Record<string, JsonObject>>).flatMap((item) => Object.values(item));

describe("gen/openapi/openapi.json", () => {
  it("has one operation per public route and none for an internal RPC", () => {
    const ids = operations.map((op) => op.operationId).sort();
    const byCluster = Object.fromEntries(Object.entries(PUBLIC_SERVICES).map(([cluster, s]) => [cluster, s.name]));
    const expected = publicRoutes().map(({ cluster, path }) => `${byCluster[cluster]}_${path.slice(path.lastIndexOf("/") + 1)}`).sort();
    expect(ids).toEqual(expected);
    for (const internal of ["ScanEvents", "GetUserHistory", "BatchGetProducts", "GetTokenState"]) {
      expect(JSON.stringify(doc), internal).not.toContain(internal);
    }
  });

  it("fits in the body Envoy may serve", () => {
    expect(statSync(OPENAPI_DOCUMENT).size).toBeLessThan(OPENAPI_MAX_BYTES);
  });

  it("names fields as the transcoder prints them: lowerCamelCase, int64 as strings, enums by name, primitives always present", () => {
    expect(Object.keys(schemas.Product!.properties as JsonObject)).toContain("imdbId");
    // Product is also a request body (CreateProduct, UpdateProduct), where every field is optional.
    expect(schemas.Product!.required).toBeUndefined();
    expect(schemas.Category!.required).toEqual(["name", "productCount"]);
    expect(schemas.UpsertProductResult!.required).toEqual(["productId", "outcome"]);
    const stats = schemas.GetProductStatsResponse!.properties as Record<string, JsonObject>;
    expect(stats.windowSeconds!.type).toBe("string");
    const count = schemas.EventTypeCount!.properties as Record<string, JsonObject>;
    expect(count.count!.type).toBe("string");
    expect(count.type!.enum).toContain("EVENT_TYPE_CLICK");
    // A message field and a proto3 optional field are printed only when set.
    expect(schemas.GetProductResponse!.required).toBeUndefined();
    expect(schemas.RecordEventRequest!.required).toBeUndefined();
    // The transcoder ignores unknown body fields, so the schema does not forbid them.
    expect(schemas.RecordEventRequest!.additionalProperties).toBeUndefined();
    expect((schemas.RecordEventRequest!.properties as Record<string, JsonObject>).type!.anyOf).toHaveLength(2);
    expect(schemas.Status!.required).toEqual(["code", "message"]);
  });

  it("declares the bearer header on every operation, optional where the route allows anonymous calls", () => {
    expect(((doc.components as JsonObject).securitySchemes as JsonObject)[BEARER_SCHEME]).toMatchObject({ type: "http", scheme: "bearer" });
    for (const op of operations) expect(op.security, String(op.operationId)).toEqual([{}, { [BEARER_SCHEME]: [] }]);
  });
});
