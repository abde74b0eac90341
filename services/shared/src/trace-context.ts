import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span } from "@opentelemetry/api";
import { z } from "zod";

/**
 * The W3C trace context (https://www.w3.org/TR/trace-context/) across the Kafka hop, and the
 * tracing settings — with the OpenTelemetry API only, so importing it costs nothing when tracing is
 * off (every call is then a no-op of the API). The SDK is installed by tracing.ts.
 */

/** The tracer name of the project's own spans (the Kafka hop). */
export const TRACER_NAME = "recsys";

/**
 * Tracing settings, read from the standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 */
export const tracingConfigSchema = {
  OTEL_TRACES_EXPORTER: z.enum(["none", "otlp"]).default("none").describe("`otlp` turns OpenTelemetry tracing on (spans go to the OTLP/HTTP endpoint); `none` leaves it off."),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().describe("Base URL of the OTLP/HTTP collector (default http://localhost:4318; traces go to `<url>/v1/traces`); `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names the full traces URL instead. Both are read by the exporter itself."),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["http/protobuf", "http/json"]).default("http/protobuf").describe("OTLP encoding over HTTP."),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(60_000).default(5_000).describe("How long finished spans are batched before they are sent, in ms."),
  OTEL_SERVICE_NAME: z.string().min(1).optional().describe("`service.name` of the process's spans (default `recsys-<process>`, for example `recsys-engagement`)."),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1).describe("Fraction of new traces sampled (a call that carries a sampled parent is always sampled)."),
};

/** A Kafka message's headers as kafkajs hands them over (values Buffer, string or arrays of them) or as the outbox stores them. */
export type MessageHeaders = Readonly<Record<string, string | Buffer | readonly (string | Buffer)[] | undefined>>;

const headerGetter = {
  keys: (carrier: MessageHeaders): string[] => Object.keys(carrier),
  get: (carrier: MessageHeaders, key: string): string | undefined => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/**
 * The W3C trace-context headers (`traceparent`, and `tracestate` when set) of a context, to store
 * with a message; empty when tracing is off or the context carries no span.
 *
 * @param from - the context (default: the active one).
 * @returns header name → value.
 */
export function traceContextHeaders(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

/**
 * The context a message's `traceparent` header names (its span as the remote parent), or the root
 * context when it has none or tracing is off.
 *
 * @param headers - the message headers.
 */
export function contextFromHeaders(headers: MessageHeaders | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/**
 * Starts a span of the Kafka hop with an explicit parent context (the span is not made active).
 *
 * @param name - span name, `<destination> <operation>` as the messaging conventions say
 *   (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/), e.g. `engagement-events publish`.
 * @param kind - PRODUCER for the relay's send, CONSUMER for the consumer's processing.
 * @param parent - the parent context (from {@link contextFromHeaders}).
 * @param attributes - `messaging.*` attributes.
 * @param links - links to other spans (a batch span links its messages).
 */
export function startMessagingSpan(
  name: string,
  kind: SpanKind.PRODUCER | SpanKind.CONSUMER | SpanKind.INTERNAL,
  parent: Context,
  attributes: Record<string, string | number>,
  links: Link[] = [],
): Span {
  return trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes, links }, parent);
}

/**
 * Ends spans with the outcome of the work they cover: OK, or ERROR with the error recorded.
 *
 * @param spans - the spans.
 * @param err - the error, when the work failed.
 */
export function endSpans(spans: readonly Span[], err?: unknown): void {
  for (const span of spans) {
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    span.end();
  }
}

export { SpanKind };
