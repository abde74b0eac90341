/**
 * A container healthcheck: asks a gRPC server's `grpc.health.v1.Health/Check` and exits 0 when the
 * answer is SERVING, 1 otherwise (NOT_SERVING, unknown service, refused connection, timeout), like
 * grpc_health_probe, with the repository's own client (scripts/infra/grpc-health.ts).
 *
 *   node --import tsx scripts/docker/grpc-health-probe.ts <host:port> [service] [timeout-ms]
 *
 * `service` defaults to "" (readiness of the server as a whole); `liveness` asks whether the process
 * runs at all (see the README's "Health"). The timeout defaults to 2000 ms. docker-compose.yml runs
 * it as each Node service's healthcheck.
 */
import { isServing } from "../infra/grpc-health.js";

const [address, service = "", timeout = "2000"] = process.argv.slice(2);
if (!address || !/^[^:]+:\d+$/.test(address) || !/^\d+$/.test(timeout)) {
  console.error("usage: grpc-health-probe.ts <host:port> [service] [timeout-ms]");
  process.exit(2);
}
const serving = await isServing(address, service, Number(timeout));
if (!serving) console.error(`${address} ${service === "" ? '""' : service}: not SERVING`);
process.exit(serving ? 0 : 1);
