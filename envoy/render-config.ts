import { stringify } from "yaml";
import { PUBLIC_SERVICES, publicRoutes } from "./public-routes.js";
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
   * Rate limiting per client address (default {@link DEFAULT_RATE_LIMIT}); `false` turns it off.
   */
  readonly rateLimit?: RateLimitOptions | false;
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

/** Fully qualified names of the transcoded services, by cluster name. */
export const TRANSCODED_SERVICES: Readonly<Record<keyof Upstreams, string>> = {
  recommendation: PUBLIC_SERVICES.recommendation.typeName,
  product: PUBLIC_SERVICES.product.typeName,
  user: PUBLIC_SERVICES.user.typeName,
  engagement: PUBLIC_SERVICES.engagement.typeName,
};

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
 * - `grpc_json_transcoder` for the four services: compact JSON, primitive fields always printed,
 *   lowerCamelCase field names, gRPC status converted to HTTP status with a JSON body, unknown query
 *   parameters ignored.
 * - Routes by exact gRPC path, one per RPC that has a `google.api.http` rule ({@link publicRoutes}:
 *   `/recsys.product.v1.ProductService/GetProduct` → cluster `product`, ...), which works for
 *   transcoded REST calls too, since the transcoder rewrites the path and the route is chosen again;
 *   anything else (internal RPCs such as ScanEvents, unknown paths) matches no route and is answered
 *   404; route timeout 15 s; retries only where safe ({@link SAFE_RETRY_POLICY}).
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
 *
 * @param options - ports, bind address, descriptor path and upstreams.
 * @returns a JSON-compatible object.
 */
export function buildEnvoyConfig(options: EnvoyConfigOptions): { readonly [key: string]: ConfigValue } {
  const address = options.listenAddress ?? "127.0.0.1";
  const clusterNames = Object.keys(TRANSCODED_SERVICES) as (keyof Upstreams)[];
  return {
    admin: { address: socketAddress(address, options.adminPort) },
    static_resources: {
      listeners: [
        {
          name: "rest",
          address: socketAddress(address, options.listenPort),
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "rest",
                    codec_type: "AUTO",
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
                    local_reply_config: localReplyConfig(),
                    route_config: {
                      name: "recsys",
                      virtual_hosts: [
                        {
                          name: "recsys",
                          domains: ["*"],
                          routes: publicRoutes().map(({ cluster, path }) => ({
                            match: { path },
                            route: { cluster, timeout: "15s", retry_policy: SAFE_RETRY_POLICY },
                          })),
                        },
                      ],
                    },
                    http_filters: [
                      ...rateLimitFilters(options.rateLimit ?? DEFAULT_RATE_LIMIT),
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
                          ignore_unknown_query_parameters: true,
                        },
                      },
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
      clusters: clusterNames.map((cluster) => ({
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
    },
  };
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
  [413, 8],
  [429, 8],
  [503, 14],
  [504, 4],
];

/**
 * Makes Envoy's own error answers (as opposed to transcoded gRPC errors, which `convert_grpc_status`
 * already turns into `google.rpc.Status` JSON) JSON of the same shape, `{"code": N, "message": "…"}`,
 * so a REST client parses every error the same way. For example, a body whose enum value is unknown
 * becomes `{"code":3,"message":"type: invalid value \"X\" for type …"}` with status 400.
 * Source: Envoy's local reply modification,
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply.
 */
function localReplyConfig(): ConfigValue {
  return {
    mappers: LOCAL_REPLY_CODES.map(([status, code]) => ({
      filter: {
        status_code_filter: {
          comparison: { op: "EQ", value: { default_value: status, runtime_key: `recsys.local_reply.${status}` } },
        },
      },
      // Envoy's own 429 body is "local_rate_limited"; say what happened and what to do instead.
      body_format_override: { json_format: { code, message: status === 429 ? RATE_LIMITED_MESSAGE : "%LOCAL_REPLY_BODY%" } },
    })),
    body_format: { json_format: { code: 2, message: "%LOCAL_REPLY_BODY%" } },
  };
}

/**
 * Renders the Envoy configuration as YAML (see {@link buildEnvoyConfig} for what it contains).
 * Envoy picks the parser by the file extension, so write it to a `.yaml` file.
 *
 * @param options - ports, bind address, descriptor path and upstreams.
 * @returns the YAML text, ending in a newline.
 */
export function renderEnvoyConfig(options: EnvoyConfigOptions): string {
  return stringify(buildEnvoyConfig(options), { lineWidth: 0, aliasDuplicateObjects: false });
}
