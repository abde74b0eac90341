import { createRouterTransport, type Interceptor, type Transport } from "@connectrpc/connect";
import { toConnectError } from "./errors.js";
import type { ServiceRegistration } from "./grpc-server.js";

/**
 * A connect-es transport that serves the given registrations in this process, with no network:
 * `createClient(ProductService, inMemoryTransport(productRegistration(deps)))`. Handler errors go
 * through the same `toConnectError` mapping as on the gRPC server (domain errors become their codes,
 * outages UNAVAILABLE naming the registration's dependency, anything else INTERNAL), so tests of
 * a service through this transport see exactly the codes and messages a gRPC caller sees.
 *
 * @param registrations - the services to serve (see `registration()` in grpc-server.ts).
 * @returns a transport for `createClient`.
 */
export function inMemoryTransport(...registrations: readonly ServiceRegistration[]): Transport {
  const byService = new Map(registrations.map((r) => [r.service.typeName, r.dependency] as const));
  const mapErrors: Interceptor = (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, byService.get(req.service.typeName));
    }
  };
  return createRouterTransport(
    (router) => {
      for (const r of registrations) router.service(r.service, r.impl);
    },
    { router: { interceptors: [mapErrors] } },
  );
}
