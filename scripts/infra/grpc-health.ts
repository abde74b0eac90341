import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

const HealthClient = grpc.makeGenericClientConstructor(healthService, "Health");

/** The shape of `grpc.health.v1.HealthCheckResponse` as grpc-health-check's loader decodes it. */
interface HealthCheckResponse {
  status?: string | number;
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` by number, for a loader that decodes enums as numbers. */
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/**
 * What a gRPC server's `grpc.health.v1.Health/Check` answers for one service name
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): the status ("SERVING",
 * "NOT_SERVING", …), "NOT_FOUND" for a name the server does not know, or "UNREACHABLE" when the
 * call failed otherwise (no server on the port, deadline). Never rejects.
 *
 * @param address - the server's `host:port`.
 * @param service - the health service name ("" for the server as a whole).
 * @param timeoutMs - deadline of the call, in ms (default 1000).
 */
export function healthStatus(address: string, service = "", timeoutMs = 1_000): Promise<string> {
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
      if (err) resolve(err.code === grpc.status.NOT_FOUND ? "NOT_FOUND" : "UNREACHABLE");
      else resolve(typeof res?.status === "number" ? (STATUS_NAMES[res.status] ?? String(res.status)) : String(res?.status));
    });
  });
}

/**
 * Asks a gRPC server's `grpc.health.v1.Health/Check` whether a service is SERVING (see {@link healthStatus}).
 *
 * @param address - the server's `host:port`.
 * @param service - the fully qualified service name, or "" for the server as a whole.
 * @param timeoutMs - deadline of the check, in ms (default 1000).
 * @returns true when the answer is SERVING; false on any other status, error or timeout.
 */
export async function isServing(address: string, service = "", timeoutMs = 1_000): Promise<boolean> {
  return (await healthStatus(address, service, timeoutMs)) === "SERVING";
}
