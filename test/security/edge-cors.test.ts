import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORS_EXPOSED_HEADERS, edgeOptionsFromEnv } from "../../envoy/render-config.js";
import { testMesh } from "../support/mesh.js";
import { PRIVATE_EDGE_PORTS, startPrivateEdge, type PrivateEdge } from "./private-edge.js";

// CORS at the edge. Before there was none: a browser's preflight got 404 and no answer carried
// access-control-allow-origin, so no web page on another origin could call the API. Now Envoy
// answers preflights and marks answers for the origins in CORS_ALLOWED_ORIGINS, and for no other.
// The shared mesh runs without the variable (the default: no CORS); this suite starts an Envoy of
// its own with it, in front of the shared mesh's services.

const ALLOWED = "https://app.example";
const ALSO_ALLOWED = "http://localhost:5173";
const DENIED = "https://evil.example";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request through an Envoy (node:http, so `origin` is sent as given). */
function call(baseUrl: string, method: string, pathAndQuery: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${pathAndQuery}`, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A header's comma-separated values, lower-cased. */
const list = (value: string | string[] | undefined): string[] =>
  String(value ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== "");

const preflight = (origin: string, method = "POST", requestHeaders = "authorization, content-type, x-request-id") => ({
  origin,
  "access-control-request-method": method,
  "access-control-request-headers": requestHeaders,
});

describe("CORS with CORS_ALLOWED_ORIGINS set", () => {
  let edge: PrivateEdge;
  let url: string;

  beforeAll(async () => {
    edge = await startPrivateEdge("cors", PRIVATE_EDGE_PORTS.cors, edgeOptionsFromEnv({ CORS_ALLOWED_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` }));
    url = edge.envoy.url;
  }, 60_000);
  afterAll(async () => {
    await edge?.stop();
  });

  it("answers a preflight from an allowed origin with the allowed methods and headers", async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      for (const [method, path] of [["POST", "/v1/events"], ["PATCH", "/v1/users/1"], ["GET", "/v1/users/1/recommendations"], ["DELETE", "/v1/events"]]) {
        const res = await call(url, "OPTIONS", path!, preflight(origin, method));
        expect([200, 204], `${origin} ${method} ${path}`).toContain(res.status);
        expect(res.headers["access-control-allow-origin"], origin).toBe(origin);
        expect(list(res.headers["access-control-allow-methods"])).toEqual(expect.arrayContaining(["get", "post", "patch", "delete"]));
        expect(list(res.headers["access-control-allow-headers"])).toEqual(expect.arrayContaining(["authorization", "content-type", "x-request-id"]));
        expect(res.headers["access-control-max-age"]).toBe("600");
        expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
      }
    }
  });

  it("marks GET /openapi.json for an allowed origin as the API's answers, and for no other", async () => {
    const allowed = await call(url, "GET", "/openapi.json", { origin: ALLOWED });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(allowed.body)).toMatchObject({ openapi: "3.0.3" });
    expect(allowed.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(list(allowed.headers["access-control-expose-headers"])).toEqual(expect.arrayContaining([...CORS_EXPOSED_HEADERS]));
    const denied = await call(url, "GET", "/openapi.json", { origin: DENIED });
    expect(denied.status).toBe(200);
    expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("gives a preflight from any other origin no access-control-allow-origin, so the browser refuses", async () => {
    for (const origin of [DENIED, "https://app.example.evil.example", "http://app.example", "null"]) {
      const res = await call(url, "OPTIONS", "/v1/events", preflight(origin));
      expect(res.headers["access-control-allow-origin"], origin).toBeUndefined();
      expect(res.status, origin).toBeLessThan(500);
    }
  });

  it("marks answers to an allowed origin, errors from the services included, and exposes the request id", async () => {
    const read = await call(url, "GET", "/v1/products/1", { origin: ALLOWED });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ product: { title: "Toy Story (1995)" } });
    expect(read.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(list(read.headers["access-control-expose-headers"])).toEqual(expect.arrayContaining([...CORS_EXPOSED_HEADERS]));

    // A write without a token: the EngagementService's 401 must be readable by the page too.
    const write = await call(url, "POST", "/v1/events", { origin: ALLOWED, "content-type": "application/json" }, JSON.stringify({ userId: "1", productId: "1", type: "EVENT_TYPE_VIEW" }));
    expect(write.status).toBe(401);
    expect(write.headers["access-control-allow-origin"]).toBe(ALLOWED);
  });

  it("does not mark answers to another origin", async () => {
    const res = await call(url, "GET", "/v1/products/1", { origin: DENIED });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("routes preflights only: a plain OPTIONS is an undeclared method (405), unknown paths are still 404", async () => {
    const plain = await call(url, "OPTIONS", "/v1/events", {});
    expect(plain.status).toBe(405);
    expect(plain.headers["allow"]).toBe("POST");
    expect((await call(url, "GET", "/v1/nothing-here", { origin: ALLOWED })).status).toBe(404);
  });
});

describe("CORS by default (the shared mesh, no CORS_ALLOWED_ORIGINS)", () => {
  it("sends no CORS header at all", async () => {
    const pre = await call(testMesh().restUrl, "OPTIONS", "/v1/events", preflight(ALLOWED));
    expect(pre.status).toBe(405);
    expect(Object.keys(pre.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    const read = await call(testMesh().restUrl, "GET", "/v1/products/1", { origin: ALLOWED });
    expect(read.status).toBe(200);
    expect(Object.keys(read.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });
});
