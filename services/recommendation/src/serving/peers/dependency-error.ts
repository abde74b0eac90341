import { Code, ConnectError } from "@connectrpc/connect";
import { isUnavailableError } from "../../../../shared/src/errors.js";

/**
 * Rewrites a failed call to another service for our caller: an outage (UNAVAILABLE,
 * DEADLINE_EXCEEDED, connection errors) becomes UNAVAILABLE naming the dependency; any other
 * error becomes INTERNAL (a peer's INVALID_ARGUMENT is our bug, not the caller's).
 *
 * @param err - what the client threw.
 * @param dependency - the name to report, for example "user service".
 */
export function dependencyError(err: unknown, dependency: string): ConnectError {
  if (isUnavailableError(err)) return new ConnectError(`${dependency} is unavailable, retry later`, Code.Unavailable);
  const cause = ConnectError.from(err);
  return new ConnectError(`${dependency} failed: ${cause.rawMessage}`, Code.Internal, undefined, undefined, cause);
}
