import { existsSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { PUBLIC_SERVICES, publicRoutes, restRoutes } from "./public-routes.js";
/**
 * Renders the Envoy configuration of the REST edge: one HTTP listener whose gRPC-JSON transcoder
 * turns the `google.api.http` rules of our protos into gRPC calls, routed to one cluster per
 * service. Used for the local stack (scripts/infra) and, through write-docker-config.ts, for
 * docker-compose (envoy/envoy.yaml). Field names follow Envoy's v3 API
 * (https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/grpc_json_transcoder/v3/transcoder.proto).
 */

/** A gRPC upstream: host name or IP address, and port. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/**
 * The four services behind Envoy, keyed by the cluster name: one upstream, or several replicas that
 * Envoy balances round robin (a request that could not reach one replica is retried on another).
 */
export interface Upstreams {
  readonly recommendation: Upstream | readonly Upstream[];
  readonly product: Upstream | readonly Upstream[];
  readonly user: Upstream | readonly Upstream[];
  readonly engagement: Upstream | readonly Upstream[];
  /**
   * The web console's file server (services/console/server, plain HTTP/1.1); when given, the
   * listener also serves the console on the API's origin (see {@link CONSOLE_PATHS}). Default none.
   */
  readonly console?: Upstream;
}

/**
 * The retry policy of every route: only failures where the request provably never reached a
 * service, so retrying is safe for every RPC, idempotent or not — the connection was refused (a
 * replica stopping or stopped) or the stream was refused (HTTP/2 REFUSED_STREAM, for example a
 * stream that crossed a replica's GOAWAY). Retries go to another host when there is one.
 * See https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on.
 */
export const SAFE_RETRY_POLICY: ConfigValue = {
  retry_on: "connect-failure,refused-stream",
  num_retries: 2,
  retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" } }],
  host_selection_retry_max_attempts: 3,
};

/** Options of {@link renderEnvoyConfig}. */
export interface EnvoyConfigOptions {
  /** Port of the REST/gRPC listener. */
  readonly listenPort: number;
  /** Port of Envoy's admin interface (`/ready`, `/stats`, `/config_dump`). */
  readonly adminPort: number;
  /** Address both bind to: "127.0.0.1" (default, local stack) or "0.0.0.0" (containers). */
  readonly listenAddress?: string;
  /** Path, as Envoy sees it, of the FileDescriptorSet built by `buf build` (envoy/descriptor.binpb). */
  readonly descriptorPath: string;
  /** Where each service listens. */
  readonly upstreams: Upstreams;
  /**
   * Path, as Envoy sees it, of the OpenAPI document (gen/openapi/openapi.json, generated from the
   * protos by `npm run generate`) to serve at `GET /openapi.json`; default none: no such route.
   * Envoy reads it when it loads the configuration; at most {@link OPENAPI_MAX_BYTES} bytes.
   */
  readonly openApiDocumentPath?: string;
  /**
   * Rate limiting per client address (default {@link DEFAULT_RATE_LIMIT}); `false` turns it off.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /**
   * Largest request body accepted, in bytes (default {@link DEFAULT_MAX_REQUEST_BYTES}, 1 MiB); a
   * larger one is answered 413 with `{"code": 8, "message": "request body larger than the limit of N bytes"}`
   * before it reaches a service. A positive integer of at most 4,294,967,295 (Envoy's UInt32Value).
   */
  readonly maxRequestBytes?: number;
  /**
   * Origins allowed to call the API from a browser (CORS), each exactly as a browser sends it in
   * `Origin` (`scheme://host[:port]`, no path, no trailing slash). Default none: no CORS filter, so
   * no `access-control-*` header is ever sent (see {@link buildEnvoyConfig}).
   */
  readonly corsAllowedOrigins?: readonly string[];
  /** TLS on the public listener (default none: plain text). See {@link ListenerTlsOptions}. */
  readonly tls?: ListenerTlsOptions;
  /** OpenTelemetry tracing of every request (default off). See {@link EnvoyTracingOptions}. */
  readonly tracing?: EnvoyTracingOptions;
}

/**
 * Envoy's OpenTelemetry tracer (https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/opentelemetry.proto):
 * a server span per request, exported as OTLP/HTTP protobuf; the W3C `traceparent` it sends
 * upstream makes it the parent of the service's span, or it continues the caller's trace when the
 * request carries one.
 */
export interface EnvoyTracingOptions {
  /** The OTLP/HTTP traces URL, `http://host:port/v1/traces` (plain HTTP). */
  readonly tracesUrl: string;
  /** `service.name` of Envoy's spans (default `recsys-envoy`). */
  readonly serviceName?: string;
}

/**
 * The certificate the public listener presents: PEM files, paths as Envoy sees them (read when
 * Envoy starts). With TLS the listener speaks only TLS (1.2 or 1.3), offering ALPN `h2` and
 * `http/1.1`; a plain-text request gets no answer (the handshake fails and the connection closes).
 */
export interface ListenerTlsOptions {
  /** PEM certificate chain, the server certificate first. */
  readonly certificateFile: string;
  /** PEM private key of that certificate (unencrypted). */
  readonly privateKeyFile: string;
}

/** The options of the edge that deployments set (see {@link edgeOptionsFromEnv}). */
export type EdgeOptions = Pick<EnvoyConfigOptions, "maxRequestBytes" | "corsAllowedOrigins" | "tls" | "tracing">;

/** Default {@link EnvoyConfigOptions.maxRequestBytes}: 1 MiB, several times the largest valid request (a 1,000-event batch is about 150 KB of JSON). */
export const DEFAULT_MAX_REQUEST_BYTES = 1_048_576;

/** Methods a CORS preflight is told the API allows (`access-control-allow-methods`). */
export const CORS_ALLOWED_METHODS = ["GET", "POST", "PATCH", "DELETE"] as const;

/** Request headers a browser may send cross-origin (`access-control-allow-headers`). */
export const CORS_ALLOWED_HEADERS = ["authorization", "content-type", "x-request-id"] as const;

/** Response headers a cross-origin page may read (`access-control-expose-headers`). */
export const CORS_EXPOSED_HEADERS = ["x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] as const;

/** How long, in seconds, a browser may cache a preflight answer (`access-control-max-age`). */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * The message of the 413 answer to a body over the limit.
 *
 * @param maxRequestBytes - the limit, in bytes.
 */
export function requestTooLargeMessage(maxRequestBytes: number): string {
  return `request body larger than the limit of ${maxRequestBytes} bytes`;
}

/** Token bucket of each client address (see {@link buildEnvoyConfig}). */
export interface RateLimitOptions {
  /** Requests per second a client address may make on average: the bucket refills this many tokens every second. */
  readonly requestsPerSecond: number;
  /** Bucket size: the most requests a client address may make at once after a quiet period (≥ requestsPerSecond). */
  readonly burst: number;
  /** Client addresses tracked at once, least recently seen evicted first (default 10,000). */
  readonly maxClients?: number;
}

/**
 * Default per-address limit: 1000 requests/s with bursts of 3000, far above what the test suite and
 * interactive use need (benchmarks call the services over gRPC directly, not through Envoy).
 */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { requestsPerSecond: 1_000, burst: 3_000, maxClients: 10_000 };

/** Message of the 429 answer (body `{"code": 8, "message": …}`, gRPC RESOURCE_EXHAUSTED). */
export const RATE_LIMITED_MESSAGE = "rate limit exceeded: too many requests from this client address, retry later";

/** The clusters of the four gRPC services (every key of {@link Upstreams} but the console). */
export type ServiceCluster = Exclude<keyof Upstreams, "console">;

/** Fully qualified names of the transcoded services, by cluster name. */
export const TRANSCODED_SERVICES: Readonly<Record<ServiceCluster, string>> = {
  recommendation: PUBLIC_SERVICES.recommendation.typeName,
  product: PUBLIC_SERVICES.product.typeName,
  user: PUBLIC_SERVICES.user.typeName,
  engagement: PUBLIC_SERVICES.engagement.typeName,
};

/** The path the OpenAPI document is served at (`GET` only). */
export const OPENAPI_PATH = "/openapi.json";

/**
 * Largest OpenAPI document Envoy will serve, in bytes (the route table's
 * `max_direct_response_body_size_bytes`; Envoy's default is 4096 and it refuses a larger body at
 * load): 1 MiB, about twenty times the present document.
 */
export const OPENAPI_MAX_BYTES = 1_048_576;

/**
 * The routes of {@link OPENAPI_PATH}: exactly that path with method GET, answered by Envoy itself
 * (a direct response whose body is the file) as `application/json`; any other method or path is
 * no route of theirs, so a `POST /openapi.json` or `/openapi.json/x` stays 404.
 * See https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-directresponseaction.
 *
 * CORS: the CORS filter applies no policy to a direct-response route (it reads the policy through
 * the route's upstream entry, which such a route has not: measured, no `access-control-*` header),
 * so for each allowed origin a route of its own, matched by the exact `origin` header, adds what
 * the filter adds to the API's answers (`access-control-allow-origin` with that origin and
 * {@link CORS_EXPOSED_HEADERS}); any other origin gets the plain route. Preflights of the path are
 * answered by the filter on the preflight route, as for every path.
 *
 * @param documentPath - the file, as Envoy sees it.
 * @param origins - the allowed CORS origins (none: one route).
 */
function openApiRoutes(documentPath: string, origins: readonly string[]): ConfigValue[] {
  const get = { name: ":method", string_match: { exact: "GET" } };
  const header = (key: string, value: string) => ({ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key, value } });
  const route = (origin?: string): ConfigValue => ({
    match: { path: OPENAPI_PATH, headers: origin === undefined ? [get] : [get, { name: "origin", string_match: { exact: origin } }] },
    direct_response: { status: 200, body: { filename: documentPath } },
    response_headers_to_add: [
      header("content-type", "application/json"),
      ...(origin === undefined ? [] : [header("access-control-allow-origin", origin), header("access-control-expose-headers", CORS_EXPOSED_HEADERS.join(", "))]),
    ],
  });
  return [...origins.map((origin) => route(origin)), route()];
}

/**
 * The routes that answer 405 for a method a REST path does not serve: one per path template of
 * {@link restRoutes}, matched by an anchored regex of the whole path (a `{variable}` is one path
 * segment), after every other route. A REST call with a declared method never reaches them, since
 * the transcoder has rewritten its path to the gRPC one; what does is the same path with another
 * method (`DELETE /v1/products/1`, `TRACE /v1/users`), answered by Envoy itself with an `allow`
 * header naming the declared methods (RFC 9110 §15.5.6) and `{"code": 12, "message": …}`. An
 * unknown path is still no route: 404.
 */
function methodNotAllowedRoutes(): ConfigValue[] {
  const byTemplate = new Map<string, string[]>();
  for (const { method, template } of restRoutes()) byTemplate.set(template, [...(byTemplate.get(template) ?? []), method]);
  return [...byTemplate].map(([template, methods]) => {
    const regex = `^${template
      .split(/(\{[^}]*\})/)
      .map((part) => (part.startsWith("{") ? (part.includes("**") ? ".+" : "[^/]+") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`;
    return {
      match: { safe_regex: { regex } },
      direct_response: { status: 405, body: { inline_string: `method not allowed: ${template} accepts ${methods.join(", ")}` } },
      response_headers_to_add: [{ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "allow", value: methods.join(", ") } }],
    };
  });
}

/** The Envoy cluster of {@link Upstreams.console}. */
export const CONSOLE_CLUSTER = "console";

/**
 * The paths of the web console, `GET` and `HEAD` only: its page at `/` (the console routes itself in
 * the fragment, `/#/product/1`), its content-hashed files under `/assets/` and its icon. Every
 * other path stays the API's (or 404), so no REST route is shadowed.
 */
export const CONSOLE_PATHS = { exact: ["/", "/index.html", "/favicon.svg"], prefix: "/assets/" } as const;

/**
 * Content-Security-Policy of the console's answers: scripts, styles and API calls from the same
 * origin only (no inline script or style, no eval), images also from https: (product posters),
 * no plugins, no framing, no `<base>` rewriting, forms posting only to the origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Headers Envoy adds to every answer of the console's routes: {@link CONSOLE_CSP}, no MIME sniffing,
 * no referrer beyond the origin, no framing (for browsers without `frame-ancestors`), and no
 * access to sensors the console never uses.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

/**
 * The routes of the web console ({@link CONSOLE_PATHS}, GET and HEAD), to the console cluster, with
 * {@link CONSOLE_SECURITY_HEADERS}. Another method on these paths matches none of them (404).
 */
function consoleRoutes(): ConfigValue[] {
  const methods = { name: ":method", string_match: { safe_regex: { regex: "^(GET|HEAD)$" } } };
  const response_headers_to_add = Object.entries(CONSOLE_SECURITY_HEADERS).map(([key, value]) => ({ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key, value } }));
  const route = { cluster: CONSOLE_CLUSTER, timeout: "15s", retry_policy: SAFE_RETRY_POLICY };
  return [
    ...CONSOLE_PATHS.exact.map((path) => ({ match: { path, headers: [methods] }, route, response_headers_to_add })),
    { match: { prefix: CONSOLE_PATHS.prefix, headers: [methods] }, route, response_headers_to_add },
  ];
}

/** The console's cluster: its file server over plain HTTP/1.1. */
function consoleCluster(upstream: Upstream): ConfigValue {
  return {
    name: CONSOLE_CLUSTER,
    type: "STRICT_DNS",
    dns_lookup_family: "V4_PREFERRED",
    connect_timeout: "1s",
    lb_policy: "ROUND_ROBIN",
    load_assignment: { cluster_name: CONSOLE_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(upstream.host, upstream.port) } }] }] },
  };
}

/** A JSON-compatible value, as the configuration tree is made of. */
export type ConfigValue = string | number | boolean | null | readonly ConfigValue[] | { readonly [key: string]: ConfigValue };

/** One JSON line per request on stdout; `request_id` is the `x-request-id` Envoy generates or forwards. */
const ACCESS_LOG_FORMAT: Record<string, string> = {
  start_time: "%START_TIME%",
  request_id: "%REQ(X-REQUEST-ID)%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  grpc_status: "%GRPC_STATUS%",
  response_flags: "%RESPONSE_FLAGS%",
  duration_ms: "%DURATION%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  user_agent: "%REQ(USER-AGENT)%",
};

/** The replicas of one service, as a list. */
function replicas(upstream: Upstream | readonly Upstream[]): readonly Upstream[] {
  return Array.isArray(upstream) ? upstream : [upstream as Upstream];
}

/** A socket address in Envoy's v3 shape. */
function socketAddress(address: string, port: number): ConfigValue {
  return { socket_address: { address, port_value: port } };
}

/**
 * Builds the configuration tree (Envoy bootstrap v3) that {@link renderEnvoyConfig} serialises.
 *
 * - Listener `rest` on `listenAddress:listenPort`, HTTP/1.1 and HTTP/2 (so REST clients and gRPC
 *   clients both work), `generate_request_id` on and the id echoed in responses.
 * - Request bodies over `maxRequestBytes` (default {@link DEFAULT_MAX_REQUEST_BYTES}) answered 413
 *   by Envoy's buffer filter, which holds a request until its body is complete (or over the limit,
 *   whether announced by `content-length` or streamed in chunks), so no service sees a part of it;
 *   https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/buffer_filter.
 *   (The transcoder's own `max_request_body_size` is not enough: it does not stop a body whose
 *   `content-length` is given, which then reached the service and came back as gRPC
 *   RESOURCE_EXHAUSTED, HTTP 429. It is set to twice the limit, room for a body within the limit
 *   and its translation, which the transcoder holds at once for a route with path variables.)
 * - `grpc_json_transcoder` for the four services: compact JSON, primitive fields always printed,
 *   lowerCamelCase field names, gRPC status converted to HTTP status with a JSON body, and a query
 *   parameter that names no field of the request message answered 400
 *   (`request_validation_options.reject_unknown_query_parameters`), for example
 *   `{"code":3,"message":"Could not find field \"categroy\" in the type \"recsys.product.v1.ListProductsRequest\"."}`
 *   (a parameter without `=`, such as `?categroy`, is skipped by the transcoder's parser, not refused).
 * - Routes by exact gRPC path, one per RPC that has a `google.api.http` rule ({@link publicRoutes}:
 *   `/recsys.product.v1.ProductService/GetProduct` → cluster `product`, ...), which works for
 *   transcoded REST calls too, since the transcoder rewrites the path and the route is chosen again;
 *   anything else (internal RPCs such as ScanEvents, unknown paths) matches no route and is answered
 *   404; route timeout 15 s; retries only where safe ({@link SAFE_RETRY_POLICY}). A REST path
 *   with a method it does not declare is answered 405 with `allow` (see methodNotAllowedRoutes).
 * - The web console, when `upstreams.console` is given: `GET`/`HEAD` of {@link CONSOLE_PATHS} to the
 *   console's file server (HTTP/1.1), with {@link CONSOLE_SECURITY_HEADERS} (a CSP without inline
 *   scripts, nosniff); every other path is routed as without it.
 * - `GET /openapi.json`, when `openApiDocumentPath` is given: the OpenAPI document, answered by
 *   Envoy from the file (see {@link OPENAPI_PATH}), with the same CORS headers as the API's answers.
 * - One STRICT_DNS cluster per service, HTTP/2 (h2c) upstream, connect timeout 1 s, one endpoint per
 *   replica, round robin, up to 1000 retries in flight (Envoy's default is 3).
 * - Rate limiting per client address before anything else: Envoy's local rate limit filter with a
 *   `remote_address` descriptor whose value is empty, which gives every client address its own
 *   token bucket ("dynamic descriptors", kept in an LRU of `maxClients` entries), see
 *   https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter.
 *   `use_remote_address` makes the address the TCP peer's, so a client cannot pick its bucket with
 *   `x-forwarded-for` (`preserve_external_request_id` keeps a client's `x-request-id`). Over the
 *   limit: HTTP 429 with `{"code": 8, "message": "rate limit exceeded: …"}` and `retry-after: 1`
 *   (gRPC callers get RESOURCE_EXHAUSTED); every answer carries `x-ratelimit-*` headers.
 * - CORS, only when `corsAllowedOrigins` is not empty: Envoy's CORS filter with a virtual-host
 *   policy (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cors_filter;
 *   protocol: https://fetch.spec.whatwg.org/#http-cors-protocol). It sits after the transcoder,
 *   because the filter applies the policy of the request's route and a REST path such as
 *   `/v1/products` has a route only once the transcoder has turned it into its gRPC path. Preflights
 *   (`OPTIONS` with non-empty `origin` and `access-control-request-method`) get a route of their own
 *   and are all answered by the filter, 200 with {@link CORS_ALLOWED_METHODS},
 *   {@link CORS_ALLOWED_HEADERS} and a max age of {@link CORS_MAX_AGE_SECONDS} s, and
 *   `access-control-allow-origin` only for an allowed origin (`forward_not_matching_preflights`
 *   off: the route's cluster is never called). Other answers to an allowed origin carry
 *   `access-control-allow-origin` and {@link CORS_EXPOSED_HEADERS}. No credentials mode: the API
 *   authenticates with a bearer token, not cookies. Envoy's own early errors (429, 413, 400 from the
 *   transcoder) carry no CORS headers.
 * - TLS on the public listener when `tls` is given (see {@link ListenerTlsOptions}); the admin
 *   interface stays plain HTTP on its own port.
 *
 * @param options - ports, bind address, descriptor path, upstreams and the edge options.
 * @returns a JSON-compatible object.
 * @throws RangeError naming the option for a rate limit, `maxRequestBytes`, origin or TLS file
 *   that is not valid.
 */
export function buildEnvoyConfig(options: EnvoyConfigOptions): { readonly [key: string]: ConfigValue } {
  const address = options.listenAddress ?? "127.0.0.1";
  const clusterNames = Object.keys(TRANSCODED_SERVICES) as ServiceCluster[];
  const maxRequestBytes = checkMaxRequestBytes(options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, "maxRequestBytes");
  const origins = checkOrigins(options.corsAllowedOrigins ?? [], "corsAllowedOrigins");
  const cors = origins.length > 0;
  const rpcRoutes: ConfigValue[] = publicRoutes().map(({ cluster, path }) => ({
    match: { path },
    route: { cluster, timeout: "15s", retry_policy: SAFE_RETRY_POLICY },
  }));
  const openApi = options.openApiDocumentPath === undefined ? [] : openApiRoutes(options.openApiDocumentPath, origins);
  const consoleUpstream = options.upstreams.console;
  return {
    admin: { address: socketAddress(address, options.adminPort) },
    static_resources: {
      listeners: [
        {
          name: "rest",
          address: socketAddress(address, options.listenPort),
          filter_chains: [
            {
              ...(options.tls === undefined ? {} : { transport_socket: tlsTransportSocket(options.tls) }),
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "rest",
                    codec_type: "AUTO",
                    // Methods outside RFC 9110's list (QUERY, PROPFIND, …) reach the routes too, so that
                    // they get 405 on a REST path like any undeclared method, instead of a codec 400.
                    http_protocol_options: { allow_custom_methods: true },
                    generate_request_id: true,
                    always_set_request_id_in_response: true,
                    use_remote_address: true,
                    preserve_external_request_id: true,
                    access_log: [
                      {
                        name: "envoy.access_loggers.stdout",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
                          log_format: { json_format: ACCESS_LOG_FORMAT },
                        },
                      },
                    ],
                    local_reply_config: localReplyConfig(maxRequestBytes, openApi.length > 0),
                    ...(options.tracing === undefined ? {} : { tracing: tracingConfig(options.tracing) }),
                    route_config: {
                      name: "recsys",
                      ...(openApi.length > 0 ? { max_direct_response_body_size_bytes: OPENAPI_MAX_BYTES } : {}),
                      virtual_hosts: [
                        {
                          name: "recsys",
                          domains: ["*"],
                          routes: [
                            ...openApi,
                            ...rpcRoutes,
                            ...(consoleUpstream === undefined ? [] : consoleRoutes()),
                            ...(cors ? [CORS_PREFLIGHT_ROUTE] : []),
                            ...methodNotAllowedRoutes(),
                          ],
                          ...(cors ? { typed_per_filter_config: { [CORS_FILTER]: corsPolicy(origins) } } : {}),
                        },
                      ],
                    },
                    http_filters: [
                      ...rateLimitFilters(options.rateLimit ?? DEFAULT_RATE_LIMIT),
                      {
                        name: "envoy.filters.http.buffer",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
                          max_request_bytes: maxRequestBytes,
                        },
                      },
                      {
                        name: "envoy.filters.http.grpc_json_transcoder",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
                          proto_descriptor: options.descriptorPath,
                          services: clusterNames.map((cluster) => TRANSCODED_SERVICES[cluster]),
                          print_options: {
                            add_whitespace: false,
                            always_print_primitive_fields: true,
                            always_print_enums_as_ints: false,
                            preserve_proto_field_names: false,
                          },
                          convert_grpc_status: true,
                          request_validation_options: { reject_unknown_query_parameters: true },
                          // The limit is the buffer filter's: this only gives the transcoder room for
                          // a body within it plus its translation (its own default refused a PATCH
                          // /v1/users/{userId} body of just under 1 MiB with 413).
                          max_request_body_size: Math.min(2 * maxRequestBytes, MAX_UINT32),
                        },
                      },
                      ...(cors ? [{ name: CORS_FILTER, typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors" } }] : []),
                      {
                        name: "envoy.filters.http.router",
                        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [...clusterNames.map((cluster) => ({
        name: cluster,
        type: "STRICT_DNS",
        dns_lookup_family: "V4_PREFERRED",
        connect_timeout: "1s",
        lb_policy: "ROUND_ROBIN",
        // The default allows 3 retries in flight per cluster, too few when a replica stops under load
        // (each request that hit it is retried at once on another; see SAFE_RETRY_POLICY).
        circuit_breakers: { thresholds: [{ priority: "DEFAULT", max_retries: 1_000 }] },
        typed_extension_protocol_options: {
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        load_assignment: {
          cluster_name: cluster,
          endpoints: [
            { lb_endpoints: replicas(options.upstreams[cluster]).map((u) => ({ endpoint: { address: socketAddress(u.host, u.port) } })) },
          ],
        },
      })),
      ...(consoleUpstream === undefined ? [] : [consoleCluster(consoleUpstream)]),
      ...(options.tracing === undefined ? [] : [collectorCluster(options.tracing)]),
      ],
    },
  };
}

/** The cluster the OpenTelemetry tracer sends its spans to. */
const OTEL_COLLECTOR_CLUSTER = "otel_collector";

function collectorUrl(tracing: EnvoyTracingOptions): URL {
  const url = new URL(tracing.tracesUrl);
  if (url.protocol !== "http:") throw new RangeError(`tracing.tracesUrl must be an http:// URL, got ${JSON.stringify(tracing.tracesUrl)}`);
  return url;
}

function tracingConfig(tracing: EnvoyTracingOptions): ConfigValue {
  const url = collectorUrl(tracing);
  return {
    provider: {
      name: "envoy.tracers.opentelemetry",
      typed_config: {
        "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
        http_service: { http_uri: { uri: url.href, cluster: OTEL_COLLECTOR_CLUSTER, timeout: "1s" } },
        service_name: tracing.serviceName ?? "recsys-envoy",
      },
    },
  };
}

function collectorCluster(tracing: EnvoyTracingOptions): ConfigValue {
  const url = collectorUrl(tracing);
  return {
    name: OTEL_COLLECTOR_CLUSTER,
    type: "STRICT_DNS",
    dns_lookup_family: "V4_PREFERRED",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: OTEL_COLLECTOR_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(url.hostname, Number(url.port || 80)) } }] }],
    },
  };
}

/** Name of Envoy's CORS filter, also the key of its per-virtual-host policy. */
const CORS_FILTER = "envoy.filters.http.cors";

/**
 * The route of CORS preflights: `OPTIONS` with a non-empty `origin` and `access-control-request-method`
 * (what the CORS filter treats as a preflight). The filter answers each one itself, so the cluster
 * named here is never called; a route is needed only because the filter applies the policy of the
 * request's route, and a preflight's REST path has none.
 */
const CORS_PREFLIGHT_ROUTE: ConfigValue = {
  match: {
    prefix: "/",
    headers: [
      { name: ":method", string_match: { exact: "OPTIONS" } },
      { name: "origin", string_match: { safe_regex: { regex: ".+" } } },
      { name: "access-control-request-method", string_match: { safe_regex: { regex: ".+" } } },
    ],
  },
  route: { cluster: "product" },
};

/** The virtual host's CORS policy: exact origins, the API's methods and headers, no credentials. */
function corsPolicy(origins: readonly string[]): ConfigValue {
  return {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
    allow_origin_string_match: origins.map((origin) => ({ exact: origin })),
    allow_methods: CORS_ALLOWED_METHODS.join(", "),
    allow_headers: CORS_ALLOWED_HEADERS.join(", "),
    expose_headers: CORS_EXPOSED_HEADERS.join(", "),
    max_age: String(CORS_MAX_AGE_SECONDS),
    allow_credentials: false,
    forward_not_matching_preflights: false,
  };
}

/**
 * The listener's TLS transport socket (a DownstreamTlsContext), see
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/transport_sockets/tls/v3/tls.proto.
 *
 * @throws RangeError naming `tls.certificateFile` or `tls.privateKeyFile` when one is empty.
 */
function tlsTransportSocket(tls: ListenerTlsOptions): ConfigValue {
  for (const field of ["certificateFile", "privateKeyFile"] as const) {
    if (typeof tls[field] !== "string" || tls[field].trim() === "") throw new RangeError(`tls.${field} must be the path of a PEM file, got ${JSON.stringify(tls[field])}`);
  }
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
        alpn_protocols: ["h2", "http/1.1"],
        tls_certificates: [{ certificate_chain: { filename: tls.certificateFile }, private_key: { filename: tls.privateKeyFile } }],
      },
    },
  };
}

/** The largest value of Envoy's UInt32Value, the type of the buffer filter's limit. */
const MAX_UINT32 = 4_294_967_295;

/**
 * @param shown - how to show the value in the error (default `String(value)`).
 * @returns `value` when it is a positive integer of at most {@link MAX_UINT32}.
 * @throws RangeError naming `field` otherwise.
 */
function checkMaxRequestBytes(value: number, field: string, shown: string = String(value)): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_UINT32) {
    throw new RangeError(`${field} must be a whole number of bytes from 1 to ${MAX_UINT32}, got ${shown}`);
  }
  return value;
}

/**
 * @returns the origins, each checked to be an origin as browsers send it (`scheme://host[:port]`,
 *   http or https, lower-case host, no default port, path, query or trailing slash).
 * @throws RangeError naming `field` and the entry for anything else (`*` included: origins are exact).
 */
function checkOrigins(origins: readonly string[], field: string): readonly string[] {
  origins.forEach((origin, i) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !["http:", "https:"].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new RangeError(`${field}[${i}] must be an exact origin such as https://app.example or http://localhost:5173, got ${JSON.stringify(origin)}`);
    }
  });
  return origins;
}

/**
 * Reads the edge options of {@link EdgeOptions} from the environment (used by scripts/mesh.ts, so
 * `npm start` and every mesh honour them):
 *
 * - `ENVOY_MAX_REQUEST_BYTES`: {@link EnvoyConfigOptions.maxRequestBytes}, a whole number of bytes
 *   (default 1048576).
 * - `CORS_ALLOWED_ORIGINS`: {@link EnvoyConfigOptions.corsAllowedOrigins}, comma-separated exact
 *   origins, blanks around commas ignored (default none: no CORS).
 * - `ENVOY_TLS_CERT_FILE` and `ENVOY_TLS_KEY_FILE`: {@link EnvoyConfigOptions.tls}, PEM files,
 *   resolved against the working directory; both or neither.
 * - `OTEL_TRACES_EXPORTER=otlp`: {@link EnvoyConfigOptions.tracing}, to
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`
 *   (default http://localhost:4318/v1/traces), the same variables the services read.
 *
 * @param env - the environment, for example `process.env`.
 * @returns the options that are set (unset ones are left out, so the defaults apply).
 * @throws RangeError naming the variable when a value is not valid, one TLS file is set without the
 *   other, or a TLS file does not exist.
 */
export function edgeOptionsFromEnv(env: NodeJS.ProcessEnv): EdgeOptions {
  const set = (name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const options: { -readonly [K in keyof EdgeOptions]: EdgeOptions[K] } = {};
  const bytes = set("ENVOY_MAX_REQUEST_BYTES");
  if (bytes !== undefined) {
    options.maxRequestBytes = checkMaxRequestBytes(/^\d+$/.test(bytes) ? Number(bytes) : Number.NaN, "ENVOY_MAX_REQUEST_BYTES", JSON.stringify(bytes));
  }
  const origins = set("CORS_ALLOWED_ORIGINS");
  if (origins !== undefined) {
    options.corsAllowedOrigins = checkOrigins(
      origins.split(",").map((o) => o.trim()).filter((o) => o !== ""),
      "CORS_ALLOWED_ORIGINS",
    );
  }
  const cert = set("ENVOY_TLS_CERT_FILE");
  const key = set("ENVOY_TLS_KEY_FILE");
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? "ENVOY_TLS_CERT_FILE" : "ENVOY_TLS_KEY_FILE";
    throw new RangeError(`${missing} is not set: TLS on the Envoy listener needs both ENVOY_TLS_CERT_FILE and ENVOY_TLS_KEY_FILE`);
  }
  if (cert !== undefined && key !== undefined) {
    for (const [name, file] of [["ENVOY_TLS_CERT_FILE", cert], ["ENVOY_TLS_KEY_FILE", key]] as const) {
      if (!existsSync(file)) throw new RangeError(`${name}: no file at ${path.resolve(file)}`);
    }
    options.tls = { certificateFile: path.resolve(cert), privateKeyFile: path.resolve(key) };
  }
  // The services' OpenTelemetry variables (services/shared/src/trace-context.ts) turn Envoy's tracer on too.
  if (set("OTEL_TRACES_EXPORTER") === "otlp") {
    const tracesUrl = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? `${(set("OTEL_EXPORTER_OTLP_ENDPOINT") ?? "http://localhost:4318").replace(/\/+$/, "")}/v1/traces`;
    try {
      collectorUrl({ tracesUrl });
    } catch {
      throw new RangeError(`OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Envoy exports traces over plain http://, got ${JSON.stringify(tracesUrl)}`);
    }
    options.tracing = { tracesUrl };
  }
  return options;
}

/**
 * The local rate limit filter (none when `limit` is false): one token bucket per client address.
 *
 * @throws RangeError for a rate or burst that is not a positive integer, or a burst below the rate.
 */
function rateLimitFilters(limit: RateLimitOptions | false): ConfigValue[] {
  if (limit === false) return [];
  const { requestsPerSecond: rate, burst } = limit;
  if (!Number.isSafeInteger(rate) || rate < 1) throw new RangeError(`rateLimit.requestsPerSecond must be a positive integer, got ${rate}`);
  if (!Number.isSafeInteger(burst) || burst < rate) throw new RangeError(`rateLimit.burst must be an integer >= requestsPerSecond, got ${burst}`);
  const bucket = { max_tokens: burst, tokens_per_fill: rate, fill_interval: "1s" };
  const always = (runtimeKey: string) => ({ default_value: { numerator: 100, denominator: "HUNDRED" }, runtime_key: runtimeKey });
  return [
    {
      name: "envoy.filters.http.local_ratelimit",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        stat_prefix: "per_client",
        // The filter-wide bucket is required but never consumed: every request matches the
        // per-address descriptor below (always_consume_default_token_bucket: false).
        token_bucket: bucket,
        filter_enabled: always("recsys.rate_limit.enabled"),
        filter_enforced: always("recsys.rate_limit.enforced"),
        always_consume_default_token_bucket: false,
        rate_limited_as_resource_exhausted: true,
        enable_x_ratelimit_headers: "DRAFT_VERSION_03",
        response_headers_to_add: [{ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "retry-after", value: "1" } }],
        max_dynamic_descriptors: limit.maxClients ?? DEFAULT_RATE_LIMIT.maxClients ?? 10_000,
        rate_limits: [{ actions: [{ remote_address: {} }] }],
        descriptors: [{ entries: [{ key: "remote_address", value: "" }], token_bucket: bucket }],
      },
    },
  ];
}

/**
 * gRPC status code (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) written in the JSON
 * body of each HTTP status that Envoy itself may answer with: request-translation failures (400),
 * oversized bodies (413), no route (404), upstream connect failures and resets (503), timeouts (504).
 */
const LOCAL_REPLY_CODES: ReadonlyArray<readonly [httpStatus: number, grpcCode: number]> = [
  [400, 3],
  [404, 5],
  [405, 12],
  [413, 8],
  [429, 8],
  [503, 14],
  [504, 4],
];

/**
 * Makes Envoy's own error answers (as opposed to transcoded gRPC errors, which `convert_grpc_status`
 * already turns into `google.rpc.Status` JSON) JSON of the same shape, `{"code": N, "message": "…"}`,
 * so a REST client parses every error the same way; the 413 message names the body limit in bytes
 * (and, when `servesOpenApi`, the OpenAPI document of `GET /openapi.json` goes out unwrapped). For example, a body whose enum value is unknown
 * becomes `{"code":3,"message":"type: invalid value \"X\" for type …"}` with status 400.
 * Source: Envoy's local reply modification,
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply.
 */
function localReplyConfig(maxRequestBytes: number, servesOpenApi: boolean): ConfigValue {
  // Envoy's own bodies of these say too little: 429 is "local_rate_limited", 413 "Payload Too Large".
  const messages: Readonly<Record<number, string>> = { 429: RATE_LIMITED_MESSAGE, 413: requestTooLargeMessage(maxRequestBytes) };
  // Envoy's answer to GET /openapi.json is a local reply too: its body (the document) goes out as it
  // is, not wrapped in {"code", "message"} by the fallback format below.
  const openApiDocument: ConfigValue = {
    filter: {
      and_filter: {
        filters: [
          { status_code_filter: { comparison: { op: "EQ", value: { default_value: 200, runtime_key: "recsys.local_reply.openapi" } } } },
          { header_filter: { header: { name: ":path", string_match: { safe_regex: { regex: "^/openapi\\.json(\\?.*)?$" } } } } },
        ],
      },
    },
    body_format_override: { text_format_source: { inline_string: "%LOCAL_REPLY_BODY%" }, content_type: "application/json" },
  };
  return {
    mappers: [...(servesOpenApi ? [openApiDocument] : []), ...LOCAL_REPLY_CODES.map(([status, code]) => ({
      filter: {
        status_code_filter: {
          comparison: { op: "EQ", value: { default_value: status, runtime_key: `recsys.local_reply.${status}` } },
        },
      },
      body_format_override: { json_format: { code, message: messages[status] ?? "%LOCAL_REPLY_BODY%" } },
    }))],
    body_format: { json_format: { code: 2, message: "%LOCAL_REPLY_BODY%" } },
  };
}

/**
 * Renders the Envoy configuration as YAML (see {@link buildEnvoyConfig} for what it contains).
 * Envoy picks the parser by the file extension, so write it to a `.yaml` file.
 *
 * @param options - ports, bind address, descriptor path, upstreams and the edge options.
 * @returns the YAML text, ending in a newline.
 * @throws RangeError as {@link buildEnvoyConfig} does.
 */
export function renderEnvoyConfig(options: EnvoyConfigOptions): string {
  return stringify(buildEnvoyConfig(options), { lineWidth: 0, aliasDuplicateObjects: false });
}
