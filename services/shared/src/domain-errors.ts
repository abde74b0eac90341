/**
 * Errors the domain code of every service raises, free of any transport. They are turned into
 * gRPC/Connect status codes in one place, `toConnectError` (errors.ts), which the gRPC server and
 * the in-memory test transport both apply to whatever a handler throws:
 *
 * | error                    | code              | HTTP through Envoy |
 * |--------------------------|-------------------|--------------------|
 * | {@link InvalidArgumentError} | INVALID_ARGUMENT | 400 |
 * | {@link NotFoundError}        | NOT_FOUND        | 404 |
 * | {@link AlreadyExistsError}   | ALREADY_EXISTS   | 409 |
 * | {@link UnavailableError}     | UNAVAILABLE      | 503 |
 *
 * Codes: https://grpc.github.io/grpc/core/md_doc_statuscodes.html; HTTP mapping:
 * https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto.
 */
export abstract class DomainError extends Error {
  /** Which of the domain's error kinds this is (a stable string for logs and mapping). */
  abstract readonly kind: "invalid_argument" | "not_found" | "already_exists" | "unavailable";
}

/** A request field holds a value the domain cannot accept; the message is `"<field>: <problem>"`. */
export class InvalidArgumentError extends DomainError {
  override readonly kind = "invalid_argument" as const;
  /**
   * @param field - the proto field name (for example `weights.relevance`).
   * @param problem - what is wrong, for example "must be between 0 and 1, got 2".
   */
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "InvalidArgumentError";
  }
}

/** A resource the request names does not exist; the message is `<kind> "<id>" not found`. */
export class NotFoundError extends DomainError {
  override readonly kind = "not_found" as const;
  /**
   * @param resource - the resource kind, for example "user" or "product".
   * @param id - the identifier that was not found.
   */
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} not found`);
    this.name = "NotFoundError";
  }
}

/** A resource the request would create exists already; the message names it. */
export class AlreadyExistsError extends DomainError {
  override readonly kind = "already_exists" as const;
  /** @param message - what exists, for example `username "ann" is taken`. */
  constructor(message: string) {
    super(message);
    this.name = "AlreadyExistsError";
  }
}

/**
 * A dependency (a database, Redis, Kafka, another service) cannot answer now; the caller may retry.
 * The message is `<dependency> is unavailable, retry later`.
 */
export class UnavailableError extends DomainError {
  override readonly kind = "unavailable" as const;
  /**
   * @param dependency - the dependency's name, for example "user service" or "trending store".
   * @param options - the underlying error, kept as `cause` for the log.
   */
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable, retry later`, options);
    this.name = "UnavailableError";
  }
}
