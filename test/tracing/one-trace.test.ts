import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meshClients, planEvents, readCatalog, recordAll } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { eventually } from "../support/eventually.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Tracing end to end: a private mesh whose processes export spans (OTLP/HTTP JSON, Envoy protobuf) to
// a receiver in this test. A caller that sends a W3C `traceparent` with RecordEvent through Envoy gets one trace:
// Envoy's span, the engagement service's server span and its PostgreSQL spans, the outbox relay's publish span,
// and the trending consumer's process span (the trace context crossed Kafka in the message
// headers) with its Redis writes under a span linked to it. Without one, the trace starts at Envoy.

/** Where the receiver listens (no other mesh or helper uses it). */
const OTLP_RECEIVER_PORT = 27_990;

/** One span as the receiver got it, with the `service.name` of the process that sent it. */
interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly links: readonly { traceId: string; spanId: string }[];
  readonly attributes: Readonly<Record<string, string | number>>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        links?: { traceId: string; spanId: string }[];
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function attributes(list: readonly OtlpAttribute[] = []): Record<string, string | number> {
  return Object.fromEntries(list.map((a) => [a.key, a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue)]));
}

/**
 * An OTLP/HTTP trace receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp): JSON exports
 * (the Node processes) are parsed into `spans`; protobuf ones (Envoy) are kept as they came, in `raw`.
 */
function startReceiver(spans: ReceivedSpan[], raw: Buffer[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces" && req.headers["content-type"]?.startsWith("application/x-protobuf")) raw.push(Buffer.concat(chunks));
      if (req.url === "/v1/traces" && req.headers["content-type"]?.startsWith("application/json")) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpTraces;
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attributes(rs.resource?.attributes)["service.name"]);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? "",
                name: s.name,
                kind: s.kind,
                links: s.links ?? [],
                attributes: attributes(s.attributes),
              });
            }
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) => server.listen(OTLP_RECEIVER_PORT, "127.0.0.1", () => resolve(server)));
}

/** Waits up to 30 s (Envoy exports every ~5 s, the processes every 200 ms) for what the receiver got. */
function spanSoon<T>(what: string, probe: () => T | undefined): Promise<T> {
  return eventually(what, probe, 30_000);
}

describe("tracing: one RecordEvent is one trace across engagement, the outbox relay, Kafka and the trending consumer", () => {
  const spans: ReceivedSpan[] = [];
  const envoyExports: Buffer[] = [];
  let receiver: Server | undefined;
  beforeAll(async () => {
    receiver = await startReceiver(spans, envoyExports);
  });
  afterAll(async () => {
    await new Promise((r) => receiver?.close(r));
  });
  const ports = FAULT_MESH_PORTS.tracing;
  const suite = usePrivateMesh({
    name: "tracing",
    ports: ports.infra,
    servicePorts: ports.services,
    serviceEnv: {
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${OTLP_RECEIVER_PORT}`,
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
  });

  it("carries the caller's trace id from RecordEvent through PostgreSQL, Kafka and Redis", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const { engagement } = meshClients(suite.mesh.restUrl, { ...OWN_MESH_AUTH_HEADERS, traceparent: `00-${traceId}-${callerSpanId}-01` });
    const [event] = planEvents(`trace-${traceId.slice(0, 8)}`, 1, catalog.users.slice(0, 1), catalog.products.slice(0, 1));
    expect((await recordAll(engagement, [event!]))[0]).toMatchObject({ code: "OK" });

    const inTrace = (): ReceivedSpan[] => spans.filter((s) => s.traceId === traceId);
    const server = await spanSoon("the engagement server span", () =>
      inTrace().find((s) => s.service === "recsys-engagement" && s.kind === 2 && s.name.endsWith("EngagementService/RecordEvent")),
    );
    // Envoy continued the caller's trace: its span (the caller's span its parent) is the server span's parent.
    await spanSoon("Envoy's span between the caller and the service", () =>
      envoyExports.find((body) => [traceId, callerSpanId, server.parentSpanId].every((hex) => body.includes(Buffer.from(hex, "hex")))),
    );
    const publish = await spanSoon("the relay's publish span", () => inTrace().find((s) => s.name === "engagement-events publish"));
    expect(publish).toMatchObject({ service: "recsys-engagement", kind: 4, attributes: { "messaging.system": "kafka", "messaging.message.id": event!.eventId } });
    const processed = await spanSoon("the consumer's process span", () => inTrace().find((s) => s.name === "engagement-events process"));
    expect(processed).toMatchObject({ service: "recsys-trending-consumer", kind: 5, parentSpanId: publish.spanId, attributes: { "messaging.message.id": event!.eventId } });

    // The event's INSERT ran under the server span (pg instrumentation), in the caller's trace.
    const sql = await spanSoon("a PostgreSQL span of the call", () => {
      const found = inTrace().filter((s) => s.service === "recsys-engagement" && s.attributes["db.system.name"] === "postgresql");
      return found.length > 0 ? found : undefined;
    });
    const ids = new Set(inTrace().map((s) => s.spanId));
    for (const s of sql) expect(ids.has(s.parentSpanId)).toBe(true);
    // The consumer's Redis writes ran under the chunk's apply span, which links the process span.
    const apply = await spanSoon("the consumer's apply span", () =>
      spans.find((s) => s.name === "engagement-events apply" && s.links.some((l) => l.traceId === traceId && l.spanId === processed.spanId)),
    );
    await spanSoon("a Redis span under the apply span", () => spans.find((s) => s.parentSpanId === apply.spanId && s.attributes["db.system.name"] === "redis"));

    console.info(
      `one trace: ${inTrace().length} spans from ${[...new Set(inTrace().map((s) => s.service))].join(", ")}: ` +
        [...new Set(inTrace().map((s) => s.name))].join(" | "),
    );
  }, 120_000);

  it("starts the trace at Envoy when the caller sends none: Envoy's span is the parent of the service's", async () => {
    const catalog = readCatalog(suite.mesh.imported.dir);
    const { engagement } = meshClients(suite.mesh.restUrl, OWN_MESH_AUTH_HEADERS);
    const [event] = planEvents(`envoy-${randomBytes(4).toString("hex")}`, 1, catalog.users.slice(1, 2), catalog.products.slice(1, 2));
    const sentAt = Date.now();
    expect((await recordAll(engagement, [event!]))[0]).toMatchObject({ code: "OK" });
    const publish = await spanSoon("the relay's publish span of the event", () =>
      spans.find((s) => s.name === "engagement-events publish" && s.attributes["messaging.message.id"] === event!.eventId),
    );
    const server = spans.find((s) => s.traceId === publish.traceId && s.kind === 2 && s.name.endsWith("EngagementService/RecordEvent"))!;
    expect(server.parentSpanId).not.toBe("");
    expect(spans.some((s) => s.spanId === server.parentSpanId)).toBe(false); // the parent is not a Node process's span…
    // …but Envoy's: its protobuf export carries the trace id and the span id as raw bytes.
    const traceBytes = Buffer.from(publish.traceId, "hex");
    const parentBytes = Buffer.from(server.parentSpanId, "hex");
    const envoy = await spanSoon("Envoy's export of the request's span", () =>
      envoyExports.find((body) => body.includes(traceBytes) && body.includes(parentBytes) && body.includes(Buffer.from("recsys-envoy"))),
    );
    console.info(`Envoy exported the request's span (${envoy.length} bytes of OTLP protobuf) ${Date.now() - sentAt} ms after the call`);
  }, 60_000);
});
