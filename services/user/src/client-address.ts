import { isIP } from "node:net";

/** Header Envoy sets to the trusted client address (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-envoy-external-address). */
export const ENVOY_EXTERNAL_ADDRESS_HEADER = "x-envoy-external-address";
/** Header of the proxies' address chain (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-for). */
export const FORWARDED_FOR_HEADER = "x-forwarded-for";

/** What {@link clientAddress} answers when nothing names the client (an in-memory call, say). */
export const UNKNOWN_CLIENT_ADDRESS = "unknown";

/**
 * The address of the client a request comes from, for per-address throttling. Envoy is the edge and
 * runs with `use_remote_address: true` (envoy/render-config.ts), so for REST and gRPC calls through
 * it:
 * 1. `x-envoy-external-address`, which Envoy sets to the TCP peer it accepted (or the trusted hop
 *    given by `xff_num_trusted_hops`) and overwrites when a client sends one;
 * 2. else the last entry of `x-forwarded-for`, the one Envoy appended (entries before it are what the
 *    client claimed and are ignored);
 * 3. else the gRPC peer (a direct caller of the service port, which only the mesh can reach).
 * Values that are not IP addresses are skipped. Port and IPv6 brackets are removed from the peer.
 *
 * @param headers - the request headers (gRPC metadata).
 * @param peer - the gRPC peer as grpc-js reports it (`"127.0.0.1:51234"`, `"[::1]:51234"`), if known.
 * @returns an IP address, or {@link UNKNOWN_CLIENT_ADDRESS}.
 */
export function clientAddress(headers: Headers, peer?: string): string {
  const external = headers.get(ENVOY_EXTERNAL_ADDRESS_HEADER)?.trim();
  if (external && isIP(external)) return external;
  const forwarded = headers.get(FORWARDED_FOR_HEADER);
  if (forwarded) {
    const last = forwarded.split(",").at(-1)?.trim();
    if (last && isIP(last)) return last;
  }
  if (peer) {
    const host = peerHost(peer);
    if (isIP(host)) return host;
  }
  return UNKNOWN_CLIENT_ADDRESS;
}

function peerHost(peer: string): string {
  const withoutScheme = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  if (bracketed) return bracketed[1]!;
  const hostPort = /^([^:]+):\d+$/.exec(withoutScheme);
  return hostPort ? hostPort[1]! : withoutScheme;
}
