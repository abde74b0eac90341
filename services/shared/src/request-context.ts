import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";

/** Header (gRPC metadata key) that carries the request id across hops; Envoy sets it at the edge. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Header that carries the caller's access token (`Bearer <jwt>`). */
export const AUTHORIZATION_HEADER = "authorization";

/**
 * What the server knows about the RPC being handled, available anywhere below the handler
 * through {@link currentRequest} (AsyncLocalStorage), so outgoing calls forward the request id.
 */
export interface RequestContext {
  /** The request id: the incoming `x-request-id`, or a fresh UUID when the caller sent none. */
  readonly requestId: string;
  /** A logger whose lines carry `requestId` and `rpc`. */
  readonly logger: Logger;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` with `ctx` as the current request context.
 *
 * @param ctx - the context to expose to `fn` and everything it awaits.
 * @param fn - the work to run.
 * @returns what `fn` returns.
 */
export function runWithRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** @returns the context of the RPC being handled, or undefined outside any RPC. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Returns a usable request id: the given one when it is a sane header value (1 to 128 printable
 * ASCII characters), else a fresh UUID, so a hostile header cannot bloat or corrupt logs.
 *
 * @param incoming - the `x-request-id` value received, if any.
 */
export function requestIdFrom(incoming: string | undefined): string {
  if (incoming && incoming.length <= 128 && /^[\x21-\x7e]+$/.test(incoming)) return incoming;
  return randomUUID();
}
