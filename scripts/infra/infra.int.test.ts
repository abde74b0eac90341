import { publicRoutes } from "../../envoy/public-routes.js";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  buildEnvoyConfig,
  DEFAULT_MAX_REQUEST_BYTES,
  renderEnvoyConfig,
  SAFE_RETRY_POLICY,
  TRANSCODED_SERVICES,
  type ConfigValue,
} from "../../envoy/render-config.js";
import { DOCKER_CONFIG_PATH, dockerEnvoyConfig } from "../../envoy/write-docker-config.js";
import { kafkaServerProperties } from "./kafka.js";
import { claimPorts, portFree, PortInUseError, spawnManaged } from "./managed-process.js";
import { kafkaLibsDir, MissingToolError, recsysHome } from "./paths.js";

const upstream = (port: number) => ({ host: "127.0.0.1", port });
const options = {
  listenPort: 58080,
  adminPort: 59901,
  descriptorPath: "/tmp/descriptor.binpb",
  upstreams: { recommendation: upstream(50051), product: upstream(50052), user: upstream(50053), engagement: upstream(50054) },
};

/** Follows a path of keys and array indexes through the configuration tree. */
function at(tree: ConfigValue, ...keys: (string | number)[]): ConfigValue {
  let node: ConfigValue = tree;
  for (const key of keys) node = (node as Record<string | number, ConfigValue>)[key] as ConfigValue;
  return node;
}

describe("renderEnvoyConfig", () => {
  const config = buildEnvoyConfig(options);
  const manager = at(config, "static_resources", "listeners", 0, "filter_chains", 0, "filters", 0, "typed_config");

  it("transcodes the four services with the agreed JSON options, refusing unknown query parameters", () => {
    // http_filters: per-client rate limit (envoy/rate-limit.int.test.ts), body limit, transcoder, router.
    const transcoder = at(manager, "http_filters", 2);
    expect(at(transcoder, "name")).toBe("envoy.filters.http.grpc_json_transcoder");
    expect(at(transcoder, "typed_config")).toMatchObject({
      proto_descriptor: "/tmp/descriptor.binpb",
      services: [
        "recsys.recommendation.v1.RecommendationService",
        "recsys.product.v1.ProductService",
        "recsys.user.v1.UserService",
        "recsys.engagement.v1.EngagementService",
      ],
      print_options: { add_whitespace: false, always_print_primitive_fields: true, preserve_proto_field_names: false },
      convert_grpc_status: true,
      request_validation_options: { reject_unknown_query_parameters: true },
      // Room for a body within the limit and its translation (the limit itself is the buffer filter's).
      max_request_body_size: 2 * DEFAULT_MAX_REQUEST_BYTES,
    });
    expect(at(transcoder, "typed_config")).not.toHaveProperty("ignore_unknown_query_parameters");
    expect(at(manager, "http_filters", 3, "name")).toBe("envoy.filters.http.router");
    expect(at(manager, "generate_request_id")).toBe(true);
  });

  it("routes each public RPC's exact gRPC path to its service's own HTTP/2 cluster, and nothing else", () => {
    const routes = at(manager, "route_config", "virtual_hosts", 0, "routes") as ConfigValue[];
    const clusters = at(config, "static_resources", "clusters") as ConfigValue[];
    expect(routes.filter((r) => at(r, "match") !== undefined && (r as Record<string, unknown>).route !== undefined)).toEqual(
      publicRoutes().map(({ cluster, path }) => ({ match: { path }, route: { cluster, timeout: "15s", retry_policy: SAFE_RETRY_POLICY } })),
    );
    // The rest are Envoy's own 405 answers to undeclared methods on REST paths: no cluster.
    for (const other of routes.filter((r) => (r as Record<string, unknown>).route === undefined)) expect(at(other, "direct_response", "status")).toBe(405);
    for (const [name, service] of Object.entries(TRANSCODED_SERVICES)) {
      expect(publicRoutes().filter((r) => r.cluster === name && r.path.startsWith(`/${service}/`)).length).toBeGreaterThan(0);
      const cluster = clusters.find((c) => at(c, "name") === name) as ConfigValue;
      expect(at(cluster, "connect_timeout")).toBe("1s");
      const protocol = at(cluster, "typed_extension_protocol_options", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
      expect(at(protocol, "explicit_http_config")).toEqual({ http2_protocol_options: {} });
    }
    expect(at(clusters[1] as ConfigValue, "load_assignment", "endpoints", 0, "lb_endpoints", 0, "endpoint", "address")).toEqual({
      socket_address: { address: "127.0.0.1", port_value: 50052 },
    });
  });

  it("retries only requests that never reached a service, on another replica, with room for many retries at once", () => {
    expect(SAFE_RETRY_POLICY).toMatchObject({ retry_on: "connect-failure,refused-stream", num_retries: 2 });
    const replicated = buildEnvoyConfig({
      ...options,
      upstreams: { ...options.upstreams, engagement: [{ host: "127.0.0.1", port: 7001 }, { host: "127.0.0.1", port: 7002 }] },
    });
    const engagement = (at(replicated, "static_resources", "clusters") as ConfigValue[]).find((c) => at(c, "name") === "engagement")!;
    const endpoints = at(engagement, "load_assignment", "endpoints", 0, "lb_endpoints") as ConfigValue[];
    expect(endpoints.map((e) => at(e, "endpoint", "address", "socket_address", "port_value"))).toEqual([7001, 7002]);
    expect(at(engagement, "circuit_breakers", "thresholds", 0, "max_retries")).toBe(1_000);
  });

  it("limits request bodies to 1 MiB by default, answering 413 with a message naming the limit", () => {
    expect(at(manager, "http_filters", 1)).toEqual({
      name: "envoy.filters.http.buffer",
      typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", max_request_bytes: DEFAULT_MAX_REQUEST_BYTES },
    });
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(1_048_576);
    const mappers = at(manager, "local_reply_config", "mappers") as ConfigValue[];
    const tooLarge = mappers.find((m) => at(m, "filter", "status_code_filter", "comparison", "value", "default_value") === 413)!;
    expect(at(tooLarge, "body_format_override", "json_format")).toEqual({ code: 8, message: "request body larger than the limit of 1048576 bytes" });
  });

  it("has no CORS and no TLS unless configured", () => {
    expect(JSON.stringify(config)).not.toContain("cors");
    expect(at(config, "static_resources", "listeners", 0, "filter_chains", 0)).not.toHaveProperty("transport_socket");
  });

  it("binds to 127.0.0.1 unless told otherwise", () => {
    expect(at(config, "admin", "address", "socket_address", "address")).toBe("127.0.0.1");
    const open = buildEnvoyConfig({ ...options, listenAddress: "0.0.0.0" });
    expect(at(open, "static_resources", "listeners", 0, "address", "socket_address", "address")).toBe("0.0.0.0");
  });

  it("writes YAML that reads back as exactly the configuration object", () => {
    expect(parse(renderEnvoyConfig(options))).toEqual(buildEnvoyConfig(options));
    expect(renderEnvoyConfig(options).endsWith("\n")).toBe(true);
  });

  it("matches the committed envoy/envoy.yaml (regenerate with `npx tsx envoy/write-docker-config.ts`)", () => {
    expect(readFileSync(DOCKER_CONFIG_PATH, "utf8")).toBe(dockerEnvoyConfig());
  });
});

describe("kafkaServerProperties", () => {
  it("keeps the log 7 days by default (configurable, -1 for ever), without size limit", () => {
    const text = kafkaServerProperties({ port: 59092, controllerPort: 59093, logDir: "/data/kafka" });
    expect(text.split("\n")).toEqual(expect.arrayContaining(["log.retention.ms=604800000", "log.retention.bytes=-1"]));
    expect(text).not.toContain("log.retention.ms=-1");
    const day = kafkaServerProperties({ port: 59092, controllerPort: 59093, logDir: "/data/kafka", retentionMs: 86_400_000 });
    expect(day.split("\n")).toContain("log.retention.ms=86400000");
    expect(kafkaServerProperties({ port: 1, controllerPort: 2, logDir: "/d", retentionMs: -1 }).split("\n")).toContain("log.retention.ms=-1");
    expect(() => kafkaServerProperties({ port: 1, controllerPort: 2, logDir: "/d", retentionMs: 0 })).toThrow(/retentionMs/);
  });

  it("describes one combined KRaft node on 127.0.0.1 with replication factor 1 and no auto-created topics", () => {
    const text = kafkaServerProperties({ port: 59092, controllerPort: 59093, logDir: "/data/kafka" });
    const props = Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line.includes("=") && !line.startsWith("#"))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(props).toMatchObject({
      "node.id": "1",
      "process.roles": "broker,controller",
      listeners: "PLAINTEXT://127.0.0.1:59092,CONTROLLER://127.0.0.1:59093",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:59092",
      "controller.quorum.voters": "1@127.0.0.1:59093",
      "log.dirs": "/data/kafka",
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "group.initial.rebalance.delay.ms": "0",
      "num.partitions": "3",
      "auto.create.topics.enable": "false",
    });
  });
});

describe("paths", () => {
  it("reads RECSYS_HOME and names `npm run provision` when a tool is missing", () => {
    expect(recsysHome({ RECSYS_HOME: "/opt/recsys" })).toBe("/opt/recsys");
    expect(recsysHome({ HOME: "/home/x" })).toMatch(/\.cache\/recsys$/);
    expect(() => kafkaLibsDir({ RECSYS_HOME: "/nonexistent" })).toThrow(MissingToolError);
    expect(() => kafkaLibsDir({ RECSYS_HOME: "/nonexistent" })).toThrow(/npm run provision/);
  });
});

describe("managed processes", () => {
  let dir: string;
  let blocker: Server;
  let blockedPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "recsys-infra-"));
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    blockedPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a port another program holds, naming the port", async () => {
    expect(await portFree(blockedPort)).toBe(false);
    const claim = claimPorts("redis", path.join(dir, "redis.pid"), [blockedPort]);
    await expect(claim).rejects.toBeInstanceOf(PortInUseError);
    await expect(claimPorts("redis", path.join(dir, "redis.pid"), [blockedPort])).rejects.toThrow(`port ${blockedPort}`);
  });

  it("stops a child with its stop signal and removes its pidfile", async () => {
    const pidFile = path.join(dir, "sleep.pid");
    const proc = await spawnManaged({ name: "sleep", command: "sleep", args: ["30"], logFile: path.join(dir, "sleep.log"), pidFile, ports: [] });
    expect(proc.isRunning()).toBe(true);
    expect(existsSync(pidFile)).toBe(true);
    await expect(claimPorts("sleep", pidFile, [])).rejects.toThrow(/already running, started by this process/);
    await proc.stop();
    expect(await proc.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(existsSync(pidFile)).toBe(false);
  });
});
