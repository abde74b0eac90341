import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

const HealthClient = grpc.makeGenericClientConstructor(healthService, "Health");

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` by number, for a loader that decodes enums as numbers. */
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/**
 * What `grpc.health.v1.Health/Check` answered for one service name
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): the status ("SERVING",
 * "NOT_SERVING", …), "NOT_FOUND" for a name the server does not know, or "UNREACHABLE" when the
 * call failed otherwise (no server on the port, deadline).
 *
 * @param address - the server's `host:port`.
 * @param service - the health service name ("" for the server as a whole).
 * @param timeoutMs - deadline of the call, in ms (default 1000).
 */
export function healthStatus(address: string, service: string, timeoutMs = 1_000): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check: (req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status?: string | number }) => void) => void;
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
 * Polls {@link healthStatus} every 100 ms until every name has its expected status.
 *
 * @param address - the server's `host:port`.
 * @param expected - the status each health service name must report, e.g. `{ "": "NOT_SERVING", liveness: "SERVING" }`.
 * @param timeoutMs - deadline, in ms.
 * @returns how long it took, in ms.
 * @throws Error naming what each service reported last when the deadline passes first.
 */
export async function waitForHealth(address: string, expected: Readonly<Record<string, string>>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: Record<string, string> = {};
  for (;;) {
    last = Object.fromEntries(await Promise.all(Object.keys(expected).map(async (name) => [name, await healthStatus(address, name)] as const)));
    if (Object.entries(expected).every(([name, status]) => last[name] === status)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`health of ${address} not ${JSON.stringify(expected)} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
