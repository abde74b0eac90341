/**
 * Loaded with `node --import tsx --import ./services/shared/src/tracing-register.ts <entry>` by
 * every process of the mesh (scripts/mesh.ts, the Dockerfile, the Kubernetes manifests), before its
 * entry point and so before the modules it instruments. With `OTEL_TRACES_EXPORTER=otlp` it
 * registers the import-in-the-middle loader hook (ESM modules are patched through it; see
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/doc/esm-support.md), limited to the
 * instrumented packages, and installs tracing with the OTLP/HTTP exporter (protobuf, or JSON with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), which reads
 * `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` itself. Otherwise it does
 * nothing, so tracing costs nothing when off.
 *
 * An invalid tracing variable stops the process before it starts, naming the variable.
 */
import { register } from "node:module";
import path from "node:path";
import { z } from "zod";
import { loadConfig } from "./config.js";
import { onShutdown } from "./lifecycle.js";
import { tracingConfigSchema } from "./trace-context.js";

const config = loadConfig(z.object(tracingConfigSchema));
if (config.OTEL_TRACES_EXPORTER === "otlp") {
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url, { data: { include: ["@grpc/grpc-js", "pg", "ioredis"] } });
  const { OTLPTraceExporter } =
    config.OTEL_EXPORTER_OTLP_PROTOCOL === "http/json"
      ? await import("@opentelemetry/exporter-trace-otlp-http")
      : await import("@opentelemetry/exporter-trace-otlp-proto");
  const { installTracing } = await import("./tracing.js");
  const tracing = installTracing({
    serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName(process.argv[1] ?? ""),
    exporter: new OTLPTraceExporter(),
    sampleRatio: config.OTEL_TRACES_SAMPLER_ARG,
    batchDelayMs: config.OTEL_BSP_SCHEDULE_DELAY,
  });
  onShutdown(() => tracing.shutdown());
}

/**
 * `recsys-<process>` from the entry point's path: `services/engagement/src/main.ts` →
 * `recsys-engagement`, `services/recommendation/src/stream/main.ts` → `recsys-trending-consumer`.
 */
function defaultServiceName(entry: string): string {
  const parts = entry.split(path.sep);
  if (parts.includes("stream")) return "recsys-trending-consumer";
  const at = parts.lastIndexOf("services");
  return at >= 0 && parts[at + 1] ? `recsys-${parts[at + 1]}` : "recsys";
}
