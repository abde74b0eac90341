import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

/**
 * OpenTelemetry tracing of the mesh (https://opentelemetry.io/docs/languages/js/): off unless
 * `OTEL_TRACES_EXPORTER=otlp`. Spans of gRPC servers and clients (@grpc/grpc-js), PostgreSQL (pg)
 * and Redis (ioredis) come from the OpenTelemetry instrumentations; the Kafka hop is traced by the
 * event pipeline itself: the W3C trace context (https://www.w3.org/TR/trace-context/) of the
 * RecordEvent call is stored in the outbox row's headers, the relay's publish span is its child
 * and travels as the Kafka message's `traceparent` header, and the trending consumer's process span
 * is the child of that. So one RecordEvent is one trace, from Envoy to Redis.
 *
 * Processes load `services/shared/src/tracing-register.ts` with `node --import` before their entry
 * point; it calls {@link installTracing} when the environment asks for tracing.
 */

/** A running tracer provider (see {@link installTracing}). */
export interface TracingHandle {
  /** The provider spans are recorded by. */
  readonly provider: TracerProvider;
  /** Exports what is buffered and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

let installed: TracingHandle | undefined;

/**
 * Installs tracing for this process: an AsyncLocalStorage context manager, the W3C trace-context
 * propagator, a tracer provider exporting to `exporter`, and the gRPC, pg and ioredis
 * instrumentations. Modules loaded before this call are not instrumented, so a process calls it
 * from `tracing-register.ts` before its entry point (ESM modules additionally need the
 * import-in-the-middle hook that file registers); tests call it before importing the servers.
 *
 * @param options.serviceName - the `service.name` resource attribute.
 * @param options.exporter - where finished spans go (the OTLP exporter, or an in-memory exporter in tests).
 * @param options.batch - batch spans before export (default true); false exports each span as it ends (tests).
 * @param options.batchDelayMs - how long a batch collects spans before it is sent, in ms (default 5000).
 * @param options.sampleRatio - fraction of new root traces sampled (default 1).
 * @returns the handle; a second call returns the first handle unchanged.
 */
export function installTracing(options: {
  serviceName: string;
  exporter: SpanExporter;
  batch?: boolean;
  batchDelayMs?: number;
  sampleRatio?: number;
}): TracingHandle {
  if (installed) return installed;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processor = options.batch === false ? new SimpleSpanProcessor({ exporter: options.exporter }) : new BatchSpanProcessor({ exporter: options.exporter, scheduledDelayMillis: options.batchDelayMs ?? 5_000 });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
    // The SDK's default is parent-based always-on; a ratio below 1 samples that share of new root traces.
    ...(options.sampleRatio !== undefined && options.sampleRatio < 1
      ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }) }
      : {}),
  });
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new GrpcInstrumentation(), new PgInstrumentation({ requireParentSpan: true }), new IORedisInstrumentation({ requireParentSpan: true })],
  });
  installed = { provider, shutdown: () => provider.shutdown() };
  return installed;
}

/**
 * Exports the spans buffered so far and stops tracing (a process's last step of shutdown); a no-op
 * when tracing is off.
 */

