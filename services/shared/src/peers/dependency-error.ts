import { Code, ConnectError } from "@connectrpc/connect";
import { UnavailableError } from "../domain-errors.js";
import { isUnavailableError } from "../errors.js";

/**
 * Codes of a failed call to another service that mean "the dependency cannot answer now", not "the
 * request is wrong" (https://grpc.github.io/grpc/core/md_doc_statuscodes.html): UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (overloaded), ABORTED and CANCELLED.
 */
const OUTAGE_CODES = new Set<Code>([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Canceled]);

/**
 * Maps the failure of a call to another service of the mesh into what this service raises: an
 * outage becomes the domain's {@link UnavailableError} naming the dependency (`"<dependency> is
 * unavailable, retry later"`, answered UNAVAILABLE by `toConnectError`, so the caller may retry);
 * any other failure becomes a plain Error `"<dependency> failed: <CODE>: <message>"` (logged and
 * answered INTERNAL: a peer's INVALID_ARGUMENT, say, is this service's bug, not its caller's).
 *
 * Outages are the {@link OUTAGE_CODES} and the connection-level failures of `isUnavailableError`
 * (refused or reset connections, timeouts).
 *
 * @param dependency - the dependency's name, for example "product service".
 * @param err - what the generated client threw; kept as the returned error's `cause`.
 * @returns the error to throw.
 */
export function dependencyError(dependency: string, err: unknown): Error {
  const error = ConnectError.from(err);
  if (isUnavailableError(err) || OUTAGE_CODES.has(error.code)) return new UnavailableError(dependency, { cause: err });
  return new Error(`${dependency} failed: ${Code[error.code]}: ${error.rawMessage}`, { cause: err });
}
