import type { DescService } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Client, Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { currentRequest, REQUEST_ID_HEADER } from "./request-context.js";

/**
 * Interceptor that forwards the current request id (see `currentRequest`) on every outgoing call,
 * so one user request can be followed across services in the logs.
 */
export const forwardRequestId: Interceptor = (next) => async (req) => {
  const ctx = currentRequest();
  if (ctx && !req.header.has(REQUEST_ID_HEADER)) req.header.set(REQUEST_ID_HEADER, ctx.requestId);
  return next(req);
};

/** Options of {@link createServiceClient}. */
export interface ServiceClientOptions {
  /** Deadline of each call unless the call sets its own, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Extra interceptors, run after the request-id forwarder. */
  readonly interceptors?: readonly Interceptor[];
}

/**
 * Creates a typed gRPC client (h2c, connect-es) for another service of the mesh.
 *
 * A server that is down makes calls fail with UNAVAILABLE, and a slow one with DEADLINE_EXCEEDED
 * after `timeoutMs`; calls never hang.
 *
 * @param service - the generated service descriptor, for example `ProductService`.
 * @param address - the server's `host:port`, for example "127.0.0.1:50052".
 * @param options - deadline and interceptors.
 */
export function createServiceClient<S extends DescService>(
  service: S,
  address: string,
  options: ServiceClientOptions = {},
): Client<S> {
  const transport = createGrpcTransport({
    baseUrl: `http://${address}`,
    defaultTimeoutMs: options.timeoutMs ?? 5_000,
    interceptors: [forwardRequestId, ...(options.interceptors ?? [])],
  });
  return createClient(service, transport);
}
