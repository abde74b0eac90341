import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, UnavailableError } from "./domain-errors.js";

/** The status code of each domain error kind (see domain-errors.ts). */
const DOMAIN_CODES: Readonly<Record<DomainError["kind"], Code>> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  unavailable: Code.Unavailable,
};

/**
 * Error codes (Node `code` strings and PostgreSQL SQLSTATE classes) that mean a dependency is
 * down or unreachable rather than that the request was wrong.
 *
 * SQLSTATE classes 08 (connection exception), 57P0x (operator intervention: admin shutdown,
 * crash shutdown, cannot connect now) and 53 (insufficient resources) are from
 * https://www.postgresql.org/docs/current/errcodes-appendix.html.
 */
const UNAVAILABLE_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Tells whether an error means that a backing server (PostgreSQL, Redis, Kafka, another service)
 * is unavailable.
 *
 * @param err - any thrown value.
 * @returns true for the domain's {@link UnavailableError} (what the peer clients throw for an
 *   outage), connection-level failures, pool timeouts and server shutdowns.
 */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  if (err instanceof ConnectError) {
    return err.code === Code.Unavailable || err.code === Code.DeadlineExceeded;
  }
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (UNAVAILABLE_NODE_CODES.has(code)) return true;
  if (code.startsWith("08") || code.startsWith("57P") || code.startsWith("53")) return true;
  const message = typeof e.message === "string" ? e.message : "";
  return (
    /timeout exceeded when trying to connect/i.test(message) ||
    /Connection terminated/i.test(message) ||
    /Connection is closed/i.test(message) ||
    // node-postgres, for a query on a client whose session the server ended (for example at shutdown).
    /is not queryable/i.test(message) ||
    /connect ECONNREFUSED/i.test(message)
  );
}

/**
 * Turns any error raised while handling an RPC into the ConnectError the caller receives — the one
 * place where domain errors meet the transport: ConnectErrors pass through; a {@link DomainError}
 * becomes its code (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, UNAVAILABLE) with its message;
 * dependency outages become UNAVAILABLE naming the dependency;
 * everything else becomes INTERNAL with a generic message (details go to the log, not the caller).
 *
 * @param err - the thrown value.
 * @param dependency - the name of the dependency to blame for outages, for example "catalog database".
 */
export function toConnectError(err: unknown, dependency = "a backing service"): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DomainError) return new ConnectError(err.message, DOMAIN_CODES[err.kind], undefined, undefined, err);
  if (isUnavailableError(err)) {
    return new ConnectError(`${dependency} is unavailable, retry later`, Code.Unavailable);
  }
  return new ConnectError("internal error", Code.Internal);
}

/**
 * Builds the INVALID_ARGUMENT error for one field, in the form `"<field>: <problem>"`, so that the
 * message always names the field (field names are the proto names, for example `page_size`).
 *
 * @param field - the proto field name.
 * @param problem - what is wrong, for example "must be between 1 and 100, got 500".
 */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/**
 * Builds the NOT_FOUND error for a missing resource, for example `product "99999999" not found`.
 *
 * @param kind - the resource kind, for example "product".
 * @param id - the identifier that was not found.
 */
export function notFound(kind: string, id: string): ConnectError {
  return new ConnectError(`${kind} ${JSON.stringify(id)} not found`, Code.NotFound);
}
