import { create } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductSchema, ProductService } from "../gen/recsys/product/v1/product_service_pb.js";
import { ensureDescriptorSet } from "../scripts/mesh.js";
import { startEnvoy, validateEnvoyConfig, type EnvoyHandle } from "../scripts/infra/envoy.js";
import { createGrpcServer, registration, type GrpcServer } from "../services/shared/src/grpc-server.js";
import { createLogger } from "../services/shared/src/logger.js";
import { buildEnvoyConfig, DEFAULT_RATE_LIMIT, RATE_LIMITED_MESSAGE, renderEnvoyConfig, type ConfigValue, type EnvoyConfigOptions } from "./render-config.js";

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** GET through Envoy from a chosen local address (127.0.0.x are all loopback on Linux). */
function get(url: string, localAddress = "127.0.0.1", headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const upstreams = (port: number): EnvoyConfigOptions["upstreams"] => ({
  recommendation: { host: "127.0.0.1", port },
  product: { host: "127.0.0.1", port },
  user: { host: "127.0.0.1", port },
  engagement: { host: "127.0.0.1", port },
});

describe("Envoy rate limiting per client address", () => {
  it("renders a local rate limit filter with one token bucket per remote address, first in the chain", () => {
    const config = buildEnvoyConfig({ listenPort: 1, adminPort: 2, descriptorPath: "/d", upstreams: upstreams(3) });
    const manager = (config.static_resources as Record<string, ConfigValue[]>).listeners![0] as Record<string, ConfigValue>;
    const hcm = ((manager.filter_chains as ConfigValue[])[0] as { filters: { typed_config: Record<string, ConfigValue> }[] }).filters[0]!.typed_config;
    expect(hcm.use_remote_address).toBe(true);
    const filters = hcm.http_filters as { name: string; typed_config: Record<string, unknown> }[];
    expect(filters.map((f) => f.name)).toEqual([
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.buffer",
      "envoy.filters.http.grpc_json_transcoder",
      "envoy.filters.http.router",
    ]);
    expect(filters[0]!.typed_config).toMatchObject({
      always_consume_default_token_bucket: false,
      rate_limits: [{ actions: [{ remote_address: {} }] }],
      descriptors: [
        {
          entries: [{ key: "remote_address", value: "" }],
          token_bucket: { max_tokens: DEFAULT_RATE_LIMIT.burst, tokens_per_fill: DEFAULT_RATE_LIMIT.requestsPerSecond, fill_interval: "1s" },
        },
      ],
      max_dynamic_descriptors: 10_000,
    });
    const off = buildEnvoyConfig({ listenPort: 1, adminPort: 2, descriptorPath: "/d", upstreams: upstreams(3), rateLimit: false });
    expect(JSON.stringify(off)).not.toContain("local_ratelimit");
    expect(() => buildEnvoyConfig({ listenPort: 1, adminPort: 2, descriptorPath: "/d", upstreams: upstreams(3), rateLimit: { requestsPerSecond: 10, burst: 5 } })).toThrow(RangeError);
  });

  describe("on a real Envoy with a tight limit (1 request/s, burst 3)", () => {
    let dir: string;
    let envoy: EnvoyHandle;
    let products: GrpcServer;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "recsys-ratelimit-"));
      const logger = createLogger("rate-limit-test");
      logger.level = "silent";
      products = createGrpcServer({
        logger,
        services: [
          registration(ProductService, {
            getProduct: (req) => ({ product: create(ProductSchema, { productId: req.productId, title: `P${req.productId}` }) }),
          }),
        ],
      });
      const productPort = await products.listen("127.0.0.1", 0);
      const [port, adminPort] = [await freePort(), await freePort()];
      const configPath = path.join(dir, "envoy.yaml");
      writeFileSync(
        configPath,
        renderEnvoyConfig({
          listenPort: port,
          adminPort,
          descriptorPath: await ensureDescriptorSet(),
          upstreams: upstreams(productPort),
          rateLimit: { requestsPerSecond: 1, burst: 3 },
        }),
      );
      await validateEnvoyConfig(configPath);
      envoy = await startEnvoy({ dataDir: dir, configPath, port, adminPort, logFile: path.join(dir, "envoy.log") });
    }, 60_000);
    afterAll(async () => {
      await envoy?.stop();
      await products?.shutdown(500);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("answers 429 with a JSON body once an address has spent its bucket, and lets other addresses through", async () => {
      const url = `${envoy.url}/v1/products/1`;
      const answers: Answer[] = [];
      for (let i = 0; i < 8; i++) answers.push(await get(url));
      const statuses = answers.map((a) => a.status);
      // 3 tokens, refilled by 1 once per second: at most 4 of 8 quick requests can pass.
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      const limited = answers.find((a) => a.status === 429)!;
      expect(limited.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(limited.body)).toEqual({ code: 8, message: RATE_LIMITED_MESSAGE });
      expect(limited.headers["retry-after"]).toBe("1");
      expect(limited.headers["x-ratelimit-limit"]).toBe("3");

      // Another client address has its own bucket, and x-forwarded-for cannot choose one (one of
      // the three may get a token refilled meanwhile).
      expect((await get(url, "127.0.0.2")).status).toBe(200);
      const spoofed: number[] = [];
      for (const xff of ["10.1.2.3", "10.1.2.4", "10.1.2.5"]) spoofed.push((await get(url, "127.0.0.1", { "x-forwarded-for": xff })).status);
      expect(spoofed.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);

      // The bucket refills.
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await get(url)).status).toBe(200);
    });
  });
});
