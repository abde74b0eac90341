import { performance } from "node:perf_hooks";
import { create, isMessage, toBinary, fromBinary } from "@bufbuild/protobuf";
import type { DescFile, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, createContextValues, createHandlerContext } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import type * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { file_health_v1_health } from "../../../gen/health/v1/health_pb.js";
import type { Logger } from "pino";
import type { Readiness } from "./dependency-health.js";
import { toConnectError } from "./errors.js";
import { rpcMetricsFor } from "./metrics.js";
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequest } from "./request-context.js";

/**
 * The gRPC peer of the call being handled, as grpc-js reports it (`"127.0.0.1:51234"`,
 * `"[::1]:51234"`), read in a handler with `context.values.get(PEER_ADDRESS)`; undefined outside
 * this server (for example through an in-memory transport).
 */
export const PEER_ADDRESS = createContextKey<string | undefined>(undefined, { description: "gRPC peer address" });

/**
 * One service to serve: its generated descriptor and its implementation (the connect-es
 * `ServiceImpl` shape, so the same object also serves `createRouterTransport` in tests).
 */
export interface ServiceRegistration {
  /** The generated service descriptor, for example `ProductService`. */
  readonly service: DescService;
  /** The implementation; methods it lacks answer UNIMPLEMENTED. */
  readonly impl: Partial<ServiceImpl<DescService>>;
  /** Name of the dependency blamed when a handler fails with a connection error. */
  readonly dependency?: string;
}

/**
 * Pairs a service descriptor with a type-checked implementation.
 *
 * @param service - the generated service descriptor.
 * @param impl - the implementation (typically a class instance implementing `ServiceImpl<S>`).
 * @param dependency - what to name in UNAVAILABLE errors, for example "catalog database".
 */
export function registration<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  dependency?: string,
): ServiceRegistration {
  return { service, impl: impl as Partial<ServiceImpl<DescService>>, dependency };
}

/**
 * The health service name of liveness: SERVING for as long as the process runs and its gRPC server
 * answers, whatever its dependencies do (a Kubernetes `livenessProbe` with `grpc.service: liveness`).
 * Readiness is the server as a whole (`""`, what a probe without `service` asks) and each served
 * service's fully qualified name: SERVING only while the process's required dependencies answer
 * (see {@link GrpcServer.followReadiness}), NOT_SERVING from the start of a shutdown.
 */
export const LIVENESS_SERVICE = "liveness";

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /** The services to serve. */
  readonly services: readonly ServiceRegistration[];
  /** The process logger; each RPC logs one line through a child carrying `requestId` and `rpc`. */
  readonly logger: Logger;
  /** Largest accepted request message, in bytes (default 4 MiB, grpc-js' default). */
  readonly maxReceiveMessageBytes?: number;
}

/** A gRPC server built but not yet listening (see {@link GrpcServer.listen}). */
export interface GrpcServer {
  /** The underlying grpc-js server. */
  readonly server: grpc.Server;
  /** The `grpc.health.v1.Health` implementation, for flipping statuses. */
  readonly health: HealthImplementation;
  /**
   * Makes readiness (`""` and every served service's name) follow `readiness`: SERVING while it is
   * ready, NOT_SERVING while it is not, from now until {@link GrpcServer.shutdown}. Liveness
   * ({@link LIVENESS_SERVICE}) is not affected. Without it, readiness is SERVING from the start.
   *
   * @param readiness - usually the process's `DependencyMonitor`.
   */
  followReadiness(readiness: Readiness): void;
  /**
   * Binds an insecure (h2c) listener and starts serving.
   *
   * @param host - interface to bind, for example "127.0.0.1".
   * @param port - TCP port; 0 asks the OS for a free one.
   * @returns the bound port.
   * @throws Error when the address cannot be bound (for example EADDRINUSE).
   */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops following readiness, marks readiness (`""` and every service) NOT_SERVING, stops accepting
   * calls, lets in-flight calls finish for up to `graceMs` milliseconds, then cancels what remains.
   * Liveness stays SERVING until the server is gone: the process is stopping, not stuck.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Builds a grpc-js server that serves connect-es service implementations over the gRPC protocol,
 * plus `grpc.health.v1.Health` (https://github.com/grpc/grpc/blob/master/doc/health-checking.md:
 * readiness under `""` and each service's name, liveness under {@link LIVENESS_SERVICE}) and server reflection v1 and v1alpha
 * (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md), so that grpcurl's `list`
 * and `describe` work. Messages are (de)serialised with @bufbuild/protobuf from the generated
 * descriptors. Every RPC runs inside a request context carrying the request id (from
 * `x-request-id`, else a new UUID), which is echoed in the response headers and logged.
 *
 * Errors: a request whose bytes are not a valid message is INVALID_ARGUMENT "request: not a valid
 * <type> message"; a handler's ConnectError keeps its code, message and metadata (sent as the
 * metadata of a trailers-only answer, which REST callers through Envoy get as headers); connection failures of backing
 * servers become UNAVAILABLE; anything else becomes INTERNAL "internal error" and is logged with
 * its stack.
 *
 * @param options - services, logger and limits.
 * @throws Error when a service has a streaming method (only unary RPCs are served).
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
  });
  const readinessNames = [""];
  for (const { service, impl, dependency } of options.services) {
    addService(server, service, impl, options.logger, dependency);
    readinessNames.push(service.typeName);
  }
  const health = new HealthImplementation({
    [LIVENESS_SERVICE]: "SERVING",
    ...Object.fromEntries(readinessNames.map((name) => [name, "SERVING"])),
  });
  health.addToServer(server);
  const setReadiness = (ready: boolean): void => {
    for (const name of readinessNames) health.setStatus(name, ready ? "SERVING" : "NOT_SERVING");
  };
  let unfollow: (() => void) | undefined;
  new ReflectionService(reflectionPackage(options.services.map((s) => s.service))).addToServer(server);

  return {
    server,
    health,
    followReadiness(readiness) {
      unfollow?.();
      setReadiness(readiness.ready);
      unfollow = readiness.onChange(setReadiness);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
          err ? reject(err) : resolve(bound),
        );
      });
    },
    async shutdown(graceMs = 10_000) {
      unfollow?.();
      setReadiness(false);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

type UnaryHandler = (request: unknown, context: HandlerContext) => unknown;

function addService(
  server: grpc.Server,
  service: DescService,
  impl: Partial<ServiceImpl<DescService>>,
  logger: Logger,
  dependency: string | undefined,
): void {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") {
      throw new Error(`${service.typeName}.${method.name}: only unary RPCs are supported`);
    }
    const path = `/${service.typeName}/${method.name}`;
    definition[method.localName] = {
      path,
      requestStream: false,
      responseStream: false,
      originalName: method.name,
      requestSerialize: serializer(method.input),
      requestDeserialize: requestDeserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
    const fn = (impl as Record<string, UnaryHandler | undefined>)[method.localName];
    handlers[method.localName] = unaryHandler(service, method, path, fn?.bind(impl), logger, dependency);
  }
  server.addService(definition, handlers);
}

function serializer(schema: DescMessage) {
  return (message: unknown) => Buffer.from(toBinary(schema, message as Parameters<typeof toBinary>[1]));
}

function deserializer(schema: DescMessage) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}

/** Marks a request whose bytes are not a valid message (see {@link requestDeserializer}). */
const MALFORMED = Symbol("malformed request");

/**
 * Like {@link deserializer}, but never throws: grpc-js answers INTERNAL when a request deserializer
 * throws, while undecodable bytes are the caller's fault. The handler answers INVALID_ARGUMENT instead.
 */
function requestDeserializer(schema: DescMessage) {
  return (bytes: Buffer) => {
    try {
      return fromBinary(schema, bytes);
    } catch {
      return { [MALFORMED]: true };
    }
  };
}

function unaryHandler(
  service: DescService,
  method: DescMethod,
  path: string,
  fn: UnaryHandler | undefined,
  logger: Logger,
  dependency: string | undefined,
): grpc.handleUnaryCall<unknown, unknown> {
  const metrics = rpcMetricsFor(service.typeName, method.name);
  return (call, callback) => {
    const started = performance.now();
    const requestHeader = new Headers();
    for (const [key, value] of Object.entries(call.metadata.getMap())) {
      if (typeof value === "string") requestHeader.set(key, value);
    }
    const requestId = requestIdFrom(requestHeader.get(REQUEST_ID_HEADER) ?? undefined);
    const log = logger.child({ requestId, rpc: path });
    const abort = new AbortController();
    // grpc-js emits "cancelled" at every stream close, answered or not (@grpc/grpc-js 1.x
    // server-interceptors.js: the stream's 'close' handler calls notifyOnCancel). Only a call still
    // being handled is aborted, so an answered one does not build a ConnectError (a stack trace) and
    // run the signal's listeners for nothing: 4.5% of the recommendation process's CPU at 300/s.
    let answered = false;
    call.on("cancelled", () => {
      if (!answered) abort.abort(new ConnectError("cancelled by the client", Code.Canceled));
    });
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const context = createHandlerContext({
      service,
      method,
      protocolName: "grpc",
      requestMethod: "POST",
      url: path,
      requestHeader,
      contextValues: createContextValues().set(PEER_ADDRESS, call.getPeer()),
      requestSignal: abort.signal,
      timeoutMs: Number.isFinite(deadlineMs) ? Math.max(0, deadlineMs - Date.now()) : undefined,
    });
    const responseMetadata = new grpc.Metadata();
    responseMetadata.set(REQUEST_ID_HEADER, requestId);

    void runWithRequest({ requestId, logger: log }, async () => {
      try {
        if (!fn) throw new ConnectError(`${path} is not implemented`, Code.Unimplemented);
        if (typeof call.request === "object" && call.request !== null && MALFORMED in call.request) {
          throw new ConnectError(`request: not a valid ${method.input.typeName} message`, Code.InvalidArgument);
        }
        const result = await fn(call.request, context);
        const message = isMessage(result, method.output)
          ? result
          : create(method.output, result as Parameters<typeof create>[1]);
        answered = true;
        call.sendMetadata(responseMetadata);
        callback(null, message);
        metrics.observe("OK", (performance.now() - started) / 1000);
        log.info({ code: "OK", durationMs: elapsed(started) }, "rpc");
      } catch (err) {
        const error = toConnectError(err, dependency);
        if (error.code === Code.Internal && !(err instanceof ConnectError)) {
          log.error({ err, durationMs: elapsed(started) }, "rpc failed");
        } else {
          const level = error.code === Code.Unavailable ? "warn" : "info";
          log[level]({ code: Code[error.code], error: error.rawMessage, durationMs: elapsed(started) }, "rpc");
        }
        // No headers were sent yet, so this is a trailers-only answer: Envoy's transcoder copies its
        // metadata (the error's, such as retry-after) into the HTTP response headers.
        const trailers = responseMetadata.clone();
        error.metadata.forEach((value, key) => {
          if (!key.startsWith("grpc-") && !key.endsWith("-bin")) trailers.set(key, value);
        });
        answered = true;
        callback({ code: error.code as number as grpc.status, details: error.rawMessage, metadata: trailers });
        metrics.observe(Code[error.code], (performance.now() - started) / 1000);
      }
    });
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/**
 * Builds the package definition that @grpc/reflection serves: the exact FileDescriptorProto bytes
 * embedded in the generated code, for the services' files, everything they import (well-known types
 * included) and grpc.health.v1. The bytes are handed over as they are, rather than through
 * proto-loader, whose protobufjs round trip drops well-known types and renames map entries.
 */
function reflectionPackage(services: readonly DescService[]): protoLoader.PackageDefinition {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);
  visit(file_health_v1_health);
  const fileDescriptorProtos = [...files.values()].map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  return { "recsys.reflection": { format: "Protocol Buffer 3 FileDescriptorProto", fileDescriptorProtos } } as unknown as protoLoader.PackageDefinition;
}
