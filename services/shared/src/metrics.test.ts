import pino from "pino";
import { describe, expect, it } from "vitest";
import { metricsPort, rpcMetricsFor, startMetricsServer } from "./metrics.js";

describe("metrics", () => {
  it("derives the metrics port from the gRPC port unless configured", () => {
    expect(metricsPort(undefined, 50051)).toBe(51051);
    expect(metricsPort(undefined, 0)).toBe(0);
    expect(metricsPort(undefined, 65000)).toBe(0);
    expect(metricsPort(9100, 50051)).toBe(9100);
    expect(metricsPort("off", 50051)).toBeUndefined();
  });

  it("serves recorded RPCs in the Prometheus text format at /metrics, with gRPC code names, and 404 elsewhere", async () => {
    const method = rpcMetricsFor("test.v1.MetricsTestService", "Probe");
    method.observe("OK", 0.003);
    method.observe("NotFound", 0.02);
    method.observe("NotFound", 0.2);
    const server = await startMetricsServer({ host: "127.0.0.1", port: 0, logger: pino({ level: "silent" }) });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const labels = 'grpc_service="test.v1.MetricsTestService",grpc_method="Probe"';
      expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="OK"} 1`);
      expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="NOT_FOUND"} 2`);
      expect(text).toContain(`grpc_server_handling_seconds_bucket{le="0.005",${labels}} 1`);
      expect(text).toContain(`grpc_server_handling_seconds_count{${labels}} 3`);
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
