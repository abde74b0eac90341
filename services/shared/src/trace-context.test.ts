import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { contextFromHeaders, endSpans, SpanKind, startMessagingSpan, traceContextHeaders } from "./trace-context.js";
import { installTracing } from "./tracing.js";

describe("trace context across a message", () => {
  it("is empty while tracing is off, and a message without it starts no trace of its own", () => {
    // Nothing installed yet in this file: the API is a no-op.
    expect(traceContextHeaders()).toEqual({});
    expect(trace.getSpanContext(contextFromHeaders({ "event-id": "e1" }))).toBeUndefined();
  });

  it("carries a span's trace across headers (strings from the outbox, Buffers from kafkajs) to a child span, recorded by the SDK", () => {
    const exporter = new InMemorySpanExporter();
    installTracing({ serviceName: "recsys-test", exporter, batch: false });
    const root = trace.getTracer("test").startSpan("RecordEvent", { kind: SpanKind.SERVER });
    const headers = traceContextHeaders(trace.setSpan(context.active(), root));
    expect(headers.traceparent).toMatch(new RegExp(`^00-${root.spanContext().traceId}-${root.spanContext().spanId}-01$`));

    const publish = startMessagingSpan("engagement-events publish", SpanKind.PRODUCER, contextFromHeaders(headers), { "messaging.system": "kafka" });
    const onTheWire = { "event-id": Buffer.from("e1"), traceparent: Buffer.from(traceContextHeaders(trace.setSpan(context.active(), publish)).traceparent!) };
    const processed = startMessagingSpan("engagement-events process", SpanKind.CONSUMER, contextFromHeaders(onTheWire), {});
    endSpans([processed], new Error("redis down"));
    endSpans([publish]);
    root.end();

    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([root.spanContext().traceId]));
    expect(byName.get("engagement-events publish")!.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(byName.get("engagement-events process")!.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(byName.get("engagement-events process")!.status).toMatchObject({ code: 2, message: "redis down" });
    expect(byName.get("engagement-events publish")!.resource.attributes["service.name"]).toBe("recsys-test");
  });
});
