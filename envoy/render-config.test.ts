import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildEnvoyConfig,
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CONSOLE_CLUSTER,
  CONSOLE_CSP,
  CONSOLE_PATHS,
  CONSOLE_SECURITY_HEADERS,
  edgeOptionsFromEnv,
  type ConfigValue,
  type EnvoyConfigOptions,
} from "./render-config.js";

// The edge options of the rendered configuration (body limit, CORS, TLS) and how they are read
// from the environment. What a real Envoy does with them: test/security/edge-*.test.ts.

const upstream = { host: "127.0.0.1", port: 1 };
const base: EnvoyConfigOptions = {
  listenPort: 58_080,
  adminPort: 59_901,
  descriptorPath: "/tmp/descriptor.binpb",
  upstreams: { recommendation: upstream, product: upstream, user: upstream, engagement: upstream },
};

/** The HTTP connection manager of the public listener. */
function manager(config: ConfigValue): Record<string, ConfigValue> {
  const listener = (config as { static_resources: { listeners: { filter_chains: { filters: { typed_config: Record<string, ConfigValue> }[] }[] }[] } })
    .static_resources.listeners[0]!;
  return listener.filter_chains[0]!.filters[0]!.typed_config;
}

const filterNames = (config: ConfigValue) => (manager(config).http_filters as { name: string }[]).map((f) => f.name);

describe("the body limit", () => {
  it("is configurable and named in the 413 message", () => {
    const config = buildEnvoyConfig({ ...base, maxRequestBytes: 4_096 });
    const buffer = (manager(config).http_filters as { name: string; typed_config: { max_request_bytes: number } }[]).find(
      (f) => f.name === "envoy.filters.http.buffer",
    )!;
    expect(buffer.typed_config.max_request_bytes).toBe(4_096);
    const transcoder = (manager(config).http_filters as { name: string; typed_config: Record<string, unknown> }[]).find(
      (f) => f.name === "envoy.filters.http.grpc_json_transcoder",
    )!;
    expect(transcoder.typed_config.max_request_body_size).toBe(8_192);
    expect(JSON.stringify(buildEnvoyConfig({ ...base, maxRequestBytes: 2 ** 32 - 1 }))).toContain(`"max_request_body_size":${2 ** 32 - 1}`);
    expect(JSON.stringify(manager(config).local_reply_config)).toContain("request body larger than the limit of 4096 bytes");
  });

  it("refuses a limit that is not a whole number of bytes from 1 to 2^32-1, naming the option", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 32]) {
      expect(() => buildEnvoyConfig({ ...base, maxRequestBytes: bad }), String(bad)).toThrow(/^maxRequestBytes must be a whole number of bytes/);
    }
  });
});

describe("CORS", () => {
  const origins = ["https://app.example", "http://localhost:5173"];
  const config = buildEnvoyConfig({ ...base, corsAllowedOrigins: origins });
  const host = (manager(config).route_config as { virtual_hosts: Record<string, ConfigValue>[] }).virtual_hosts[0]!;

  it("adds the CORS filter after the transcoder, so transcoded requests find their route's policy", () => {
    expect(filterNames(config)).toEqual([
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.buffer",
      "envoy.filters.http.grpc_json_transcoder",
      "envoy.filters.http.cors",
      "envoy.filters.http.router",
    ]);
  });

  it("allows exactly the configured origins, the API's methods and headers, without credentials", () => {
    expect((host.typed_per_filter_config as Record<string, ConfigValue>)["envoy.filters.http.cors"]).toMatchObject({
      allow_origin_string_match: [{ exact: "https://app.example" }, { exact: "http://localhost:5173" }],
      allow_methods: "GET, POST, PATCH, DELETE",
      allow_headers: "authorization, content-type, x-request-id",
      allow_credentials: false,
      forward_not_matching_preflights: false,
    });
    expect(CORS_ALLOWED_METHODS).toEqual(["GET", "POST", "PATCH", "DELETE"]);
    expect(CORS_ALLOWED_HEADERS).toContain("authorization");
  });

  it("routes only preflights (OPTIONS with origin and access-control-request-method) besides the RPCs", () => {
    const routes = host.routes as { match: { path?: string; prefix?: string; headers?: { name: string }[] }; direct_response?: { status: number } }[];
    // Besides the 405 answers to undeclared methods on REST paths, which reach no cluster.
    const extra = routes.filter((r) => r.match.path === undefined && r.direct_response?.status !== 405);
    expect(extra).toHaveLength(1);
    expect(extra[0]!.match.prefix).toBe("/");
    expect(extra[0]!.match.headers!.map((h) => h.name)).toEqual([":method", "origin", "access-control-request-method"]);
  });

  it("is absent with no origins", () => {
    for (const none of [undefined, []]) {
      const plain = buildEnvoyConfig({ ...base, ...(none ? { corsAllowedOrigins: none } : {}) });
      expect(filterNames(plain)).not.toContain("envoy.filters.http.cors");
      expect(JSON.stringify(plain)).not.toContain("cors");
    }
  });

  it("refuses anything but exact http(s) origins, naming the entry", () => {
    for (const bad of ["*", "https://app.example/", "https://app.example/path", "app.example", "ftp://app.example", "https://App.example", "https://app.example:443"]) {
      expect(() => buildEnvoyConfig({ ...base, corsAllowedOrigins: ["https://ok.example", bad] }), bad).toThrow(/^corsAllowedOrigins\[1\] must be an exact origin/);
    }
  });
});

describe("TLS on the listener", () => {
  it("puts a TLS transport socket with h2 and http/1.1 ALPN on the public listener only", () => {
    const config = buildEnvoyConfig({ ...base, tls: { certificateFile: "/certs/edge.pem", privateKeyFile: "/certs/edge.key" } });
    const chain = (config as { static_resources: { listeners: { filter_chains: Record<string, ConfigValue>[] }[] } }).static_resources.listeners[0]!
      .filter_chains[0]!;
    expect(chain.transport_socket).toMatchObject({
      name: "envoy.transport_sockets.tls",
      typed_config: {
        common_tls_context: {
          alpn_protocols: ["h2", "http/1.1"],
          tls_certificates: [{ certificate_chain: { filename: "/certs/edge.pem" }, private_key: { filename: "/certs/edge.key" } }],
        },
      },
    });
    expect(JSON.stringify((config as { admin: ConfigValue }).admin)).not.toContain("tls");
  });

  it("refuses an empty file name, naming the field", () => {
    expect(() => buildEnvoyConfig({ ...base, tls: { certificateFile: "/c.pem", privateKeyFile: " " } })).toThrow(/^tls\.privateKeyFile must be/);
  });
});

describe("edgeOptionsFromEnv", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "recsys-edge-env-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  writeFileSync(cert, "not read here");
  writeFileSync(key, "not read here");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sets nothing when nothing is configured, so the defaults apply", () => {
    expect(edgeOptionsFromEnv({})).toEqual({});
    expect(edgeOptionsFromEnv({ CORS_ALLOWED_ORIGINS: " ", ENVOY_MAX_REQUEST_BYTES: "" })).toEqual({});
  });

  it("reads the limit, comma-separated origins and both TLS files", () => {
    expect(
      edgeOptionsFromEnv({
        ENVOY_MAX_REQUEST_BYTES: "65536",
        CORS_ALLOWED_ORIGINS: "https://app.example, http://localhost:5173,",
        ENVOY_TLS_CERT_FILE: cert,
        ENVOY_TLS_KEY_FILE: key,
      }),
    ).toEqual({
      maxRequestBytes: 65_536,
      corsAllowedOrigins: ["https://app.example", "http://localhost:5173"],
      tls: { certificateFile: cert, privateKeyFile: key },
    });
  });

  it("turns Envoy's OpenTelemetry tracer on with the services' OTEL_* variables", () => {
    expect(edgeOptionsFromEnv({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toEqual({});
    expect(edgeOptionsFromEnv({ OTEL_TRACES_EXPORTER: "otlp" })).toEqual({ tracing: { tracesUrl: "http://localhost:4318/v1/traces" } });
    expect(edgeOptionsFromEnv({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toEqual({
      tracing: { tracesUrl: "http://collector:4318/v1/traces" },
    });
    expect(
      edgeOptionsFromEnv({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:1", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:2/traces" }),
    ).toEqual({ tracing: { tracesUrl: "http://b:2/traces" } });
    expect(() => edgeOptionsFromEnv({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector:4318" })).toThrow(
      /^OTEL_EXPORTER_OTLP_ENDPOINT \/ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Envoy exports traces over plain http:\/\//,
    );
  });

  it("names the variable of a bad value", () => {
    expect(() => edgeOptionsFromEnv({ ENVOY_MAX_REQUEST_BYTES: "1MB" })).toThrow(/^ENVOY_MAX_REQUEST_BYTES must be a whole number of bytes .* got "1MB"/);
    expect(() => edgeOptionsFromEnv({ ENVOY_MAX_REQUEST_BYTES: "0" })).toThrow(/^ENVOY_MAX_REQUEST_BYTES/);
    expect(() => edgeOptionsFromEnv({ CORS_ALLOWED_ORIGINS: "https://app.example,*" })).toThrow(/^CORS_ALLOWED_ORIGINS\[1\] must be an exact origin/);
    expect(() => edgeOptionsFromEnv({ ENVOY_TLS_CERT_FILE: cert })).toThrow(/^ENVOY_TLS_KEY_FILE is not set/);
    expect(() => edgeOptionsFromEnv({ ENVOY_TLS_KEY_FILE: key })).toThrow(/^ENVOY_TLS_CERT_FILE is not set/);
    expect(() => edgeOptionsFromEnv({ ENVOY_TLS_CERT_FILE: cert, ENVOY_TLS_KEY_FILE: path.join(dir, "missing.pem") })).toThrow(
      /^ENVOY_TLS_KEY_FILE: no file at /,
    );
  });
});

describe("buildEnvoyConfig tracing", () => {
  it("adds the OpenTelemetry tracer and its collector cluster only when asked", () => {
    const plain = buildEnvoyConfig(base) as { static_resources: { clusters: { name: string }[] } };
    expect(manager(plain).tracing).toBeUndefined();
    expect(plain.static_resources.clusters.map((c) => c.name)).not.toContain("otel_collector");
    const traced = buildEnvoyConfig({ ...base, tracing: { tracesUrl: "http://collector:4318/v1/traces" } }) as typeof plain;
    expect(manager(traced).tracing).toEqual({
      provider: {
        name: "envoy.tracers.opentelemetry",
        typed_config: {
          "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
          http_service: { http_uri: { uri: "http://collector:4318/v1/traces", cluster: "otel_collector", timeout: "1s" } },
          service_name: "recsys-envoy",
        },
      },
    });
    expect(traced.static_resources.clusters.find((c) => c.name === "otel_collector")).toMatchObject({
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "collector", port_value: 4318 } } } }] }] },
    });
  });
});

describe("the web console", () => {
  type Route = { match: { path?: string; prefix?: string; headers?: unknown[] }; route?: { cluster: string }; response_headers_to_add?: { header: { key: string; value: string } }[] };
  const routesOf = (config: ConfigValue) => ((manager(config).route_config as { virtual_hosts: { routes: Route[] }[] }).virtual_hosts[0]!.routes);
  const clustersOf = (config: ConfigValue) => (config as { static_resources: { clusters: { name: string }[] } }).static_resources.clusters.map((c) => c.name);

  it("is not routed without a console upstream", () => {
    const config = buildEnvoyConfig(base);
    expect(routesOf(config).some((r) => r.route?.cluster === CONSOLE_CLUSTER)).toBe(false);
    expect(clustersOf(config)).not.toContain(CONSOLE_CLUSTER);
  });

  it("serves GET/HEAD of /, the icon and /assets/ from the console cluster with the security headers, after the RPC routes", () => {
    const config = buildEnvoyConfig({ ...base, upstreams: { ...base.upstreams, console: { host: "127.0.0.1", port: 2 } } });
    const routes = routesOf(config);
    const consoleRoutes = routes.filter((r) => r.route?.cluster === CONSOLE_CLUSTER);
    expect(consoleRoutes.map((r) => r.match.path ?? `${r.match.prefix}*`)).toEqual([...CONSOLE_PATHS.exact, `${CONSOLE_PATHS.prefix}*`]);
    for (const r of consoleRoutes) {
      expect(JSON.stringify(r.match.headers)).toContain("^(GET|HEAD)$");
      const headers = Object.fromEntries(r.response_headers_to_add!.map((h) => [h.header.key, h.header.value]));
      expect(headers).toEqual(CONSOLE_SECURITY_HEADERS);
    }
    const firstConsole = routes.findIndex((r) => r.route?.cluster === CONSOLE_CLUSTER);
    const lastRpc = routes.findLastIndex((r) => r.match.path?.startsWith("/recsys.") === true);
    expect(firstConsole).toBeGreaterThan(lastRpc);
    expect(clustersOf(config)).toContain(CONSOLE_CLUSTER);
  });

  it("has a CSP without inline scripts or eval", () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });
});
