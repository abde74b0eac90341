import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPENAPI_DOCUMENT } from "../../scripts/infra/envoy.js";
import { rest, testMesh } from "../support/mesh.js";

// GET /openapi.json is answered by Envoy itself from gen/openapi/openapi.json (a direct response):
// the exact path and method only, so serving it opens no other path and reaches no service.

describe("GET /openapi.json at the edge", () => {
  it("serves the generated document byte for byte as application/json", async () => {
    const res = await fetch(`${testMesh().restUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(readFileSync(OPENAPI_DOCUMENT, "utf8"));
  });

  it("answers 404 for any other method on it and any path beside or below it", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"] as const) {
      const res = await rest(method, "/openapi.json", {});
      expect(res.status, method).toBe(404);
    }
    for (const path of ["/openapi.json/", "/openapi.json/x", "/openapi.jsonx", "/openapi.yaml", "/openapi", "/gen/openapi/openapi.json", "/OPENAPI.JSON", "/v1/openapi.json"]) {
      const res = await rest("GET", path);
      expect(res.status, path).toBe(404);
    }
  });
});
