import { Code, ConnectError } from "@connectrpc/connect";

/** Codes of a downstream call that mean "the dependency cannot answer now", not "the request is wrong". */
const UNAVAILABLE_CODES = new Set<Code>([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.ResourceExhausted,
  Code.Aborted,
  Code.Canceled,
]);

/**
 * Maps the failure of a call to another service of the mesh into what this service's caller should
 * see: outages and deadlines become UNAVAILABLE naming the dependency (the caller may retry), any
 * other failure becomes a plain Error (logged, answered INTERNAL by the server).
 *
 * @param dependency - the dependency's name, for example "product service".
 * @param err - the error the generated client threw.
 * @returns the error to throw.
 */
export function dependencyError(dependency: string, err: unknown): Error {
  const error = ConnectError.from(err);
  if (UNAVAILABLE_CODES.has(error.code)) {
    return new ConnectError(`${dependency} is unavailable, retry later`, Code.Unavailable);
  }
  return new Error(`${dependency} failed: ${Code[error.code]}: ${error.rawMessage}`, { cause: err });
}
