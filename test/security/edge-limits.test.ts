import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_REQUEST_BYTES, requestTooLargeMessage } from "../../envoy/render-config.js";
import { bearer, rest, testMesh } from "../support/mesh.js";

// The edge's request limits on the shared test mesh (its Envoy runs the rendered configuration with
// the defaults). Before: a 7.7 MB body went through to the service and came back HTTP 429
// "Received message larger than max", and `GET /v1/products?categroy=Drama` (a typo of category)
// answered 200 with the unfiltered catalog.

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** POSTs a body through Envoy in chunks (`transfer-encoding: chunked`, no content-length). */
function postChunked(pathAndQuery: string, chunks: readonly Buffer[], headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${testMesh().restUrl}${pathAndQuery}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, agent: false, timeout: 15_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // Envoy may answer 413 and close before the last chunk is written.
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** A JSON object padded with spaces to exactly `size` bytes. */
function paddedJson(value: Record<string, unknown>, size: number): string {
  const text = JSON.stringify(value);
  if (text.length > size) throw new Error(`${text.length} bytes already, more than ${size}`);
  return text.slice(0, -1) + " ".repeat(size - text.length) + "}";
}

describe("request bodies over the edge's limit", () => {
  const tooLarge = { code: 8, message: requestTooLargeMessage(DEFAULT_MAX_REQUEST_BYTES) };

  it("answers a 7.7 MB body 413 with a JSON error naming the limit in bytes", async () => {
    const events = Array.from({ length: 1_000 }, (_, i) => ({ userId: "1", productId: "1", type: "EVENT_TYPE_CLICK", eventId: "x".repeat(7_700) + i }));
    const body = JSON.stringify({ events });
    expect(body.length).toBeGreaterThan(7_700_000);
    const res = await rest("POST", "/v1/events:batch", body, bearer());
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual(tooLarge);
    expect(tooLarge.message).toBe("request body larger than the limit of 1048576 bytes");
  });

  it("counts a chunked body too, with no content-length announced", async () => {
    const chunk = Buffer.from(" ".repeat(64 * 1024));
    const chunks = [Buffer.from('{"username":"chunky",'), ...Array.from({ length: 20 }, () => chunk), Buffer.from("}")];
    const res = await postChunked("/v1/users", chunks, {});
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual(tooLarge);
  });

  it("lets a body of exactly the limit through to the service, which judges its content", async () => {
    // A username of a million characters: the UserService refuses it, naming the field.
    const atLimit = paddedJson({ username: "u".repeat(1_000_000), email: "edge@example.com", password: "edge password 1" }, DEFAULT_MAX_REQUEST_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(DEFAULT_MAX_REQUEST_BYTES);
    const res = await rest<{ code: number; message: string }>("POST", "/v1/users", atLimit);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/username/);
    const overLimit = await rest("POST", "/v1/users", `${atLimit} `);
    expect(overLimit.status).toBe(413);

    // A route with a path variable too (the transcoder holds such a body and its translation at once).
    const patch = paddedJson({ email: `${"e".repeat(1_000_000)}@example.com` }, DEFAULT_MAX_REQUEST_BYTES - 1);
    const patched = await rest<{ code: number; message: string }>("PATCH", "/v1/users/1", patch, bearer());
    expect(patched.status).toBe(400);
    expect(patched.body.message).toMatch(/email/);
  });
});

describe("query parameters", () => {
  it("answers a parameter that names no field 400, naming it, instead of ignoring it", async () => {
    const res = await rest<{ code: number; message: string }>("GET", "/v1/products?categroy=Drama");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(3);
    expect(res.body.message).toContain('"categroy"');
  });

  it("does so on every kind of route: with path parameters, with a body, and beside known parameters", async () => {
    const cases: ["GET" | "POST", string, string][] = [
      ["GET", "/v1/products/1/similar?limti=3", "limti"],
      ["GET", "/v1/trending?limit=3&categories=Drama", "categories"],
      ["POST", "/v1/events?dryRun=true", "dryRun"],
    ];
    for (const [method, target, name] of cases) {
      const res = await rest<{ message: string }>(method, target, method === "POST" ? { userId: "1", productId: "1", type: "EVENT_TYPE_VIEW" } : undefined, bearer());
      expect(res.status, target).toBe(400);
      expect(res.body.message, target).toContain(`"${name}"`);
    }
  });

  it("still applies the known parameters, in both spellings", async () => {
    for (const target of ["/v1/products?category=Drama&pageSize=5", "/v1/products?category=Drama&page_size=5"]) {
      const res = await rest<{ products: { categories: string[] }[] }>("GET", target);
      expect(res.status, target).toBe(200);
      expect(res.body.products, target).toHaveLength(5);
      for (const product of res.body.products) expect(product.categories, target).toContain("Drama");
    }
  });
});
