import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

const HealthClient = grpc.makeGenericClientConstructor(healthService, "Health");

/** The shape of `grpc.health.v1.HealthCheckResponse` as grpc-health-check's loader decodes it. */
interface HealthCheckResponse {
  status?: string | number;
}

/**
 * Asks a gRPC server's `grpc.health.v1.Health/Check` whether a service is SERVING
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md).
 *
 * @param address - the server's `host:port`.
 * @param service - the fully qualified service name, or "" for the server as a whole.
 * @param timeoutMs - deadline of the check, in ms (default 1000).
 * @returns true when the answer is SERVING; false on any other status, error or timeout.
 */
export function isServing(address: string, service = "", timeoutMs = 1_000): Promise<boolean> {
  const client = new HealthClient(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check: (
      req: { service: string },
      options: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: HealthCheckResponse) => void,
    ) => void;
  };
  return new Promise((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      resolve(err === null && (res?.status === "SERVING" || res?.status === 1));
    });
  });
}
