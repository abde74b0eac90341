import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { z } from "zod";
import { DEV_JWT_SECRET, MIN_JWT_SECRET_LENGTH, verifyAccessToken, type TokenRevocationCheck } from "./access-token.js";
import { AUTHORIZATION_HEADER } from "./request-context.js";

/**
 * The service token used when `SERVICE_TOKEN` is not set: fine for a laptop and the test mesh,
 * never for a deployment (services log a warning at start when it is in use).
 */
export const DEV_SERVICE_TOKEN = "recsys-development-service-token-change-me-0123456789";

/** Shortest accepted service token, in characters. */
export const MIN_SERVICE_TOKEN_LENGTH = 32;

/** Longest `authorization` header value looked at, in characters; longer ones are rejected unread. */
const MAX_AUTHORIZATION_LENGTH = 8_192;

/**
 * Who a request acts as:
 * - `service`: an internal caller or trusted backend holding the service token; it may act for any user;
 * - `user`: the holder of a user's access token (the JWT from `CreateSession`); it may act for that user only.
 */
export type Principal = { readonly kind: "service" } | { readonly kind: "user"; readonly userId: string };

/**
 * Environment variables of access control, to spread into a service's config schema:
 * - `JWT_SECRET` (≥ 32 characters, default {@link DEV_JWT_SECRET}): the HS256 secret the UserService
 *   signs access tokens with; every service that checks tokens must have the same value.
 * - `SERVICE_TOKEN` (≥ 32 characters, default {@link DEV_SERVICE_TOKEN}): the shared secret of internal
 *   callers, sent as `authorization: Bearer <SERVICE_TOKEN>`.
 * - `AUTH_REQUIRED_FOR_READS` (`true`): reads of a user's data (recommendations, events, the account
 *   with its email) need that user's access token or the service token; `false` opens them, for a
 *   laptop demo only (see the README's "Security model").
 *
 * In production mode (`NODE_ENV=production`) the services refuse the development defaults of both
 * secrets at start (see `enforceSecretPolicy` in secret-policy.ts).
 */
export const accessControlConfigShape = {
  JWT_SECRET: z
    .string()
    .min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`)
    .default(DEV_JWT_SECRET)
    .describe("HS256 secret of user access tokens: the UserService signs with it and every service checks with it, so all must share one value. The default is public (in this repository): refused in production mode, a warning otherwise."),
  SERVICE_TOKEN: z
    .string()
    .min(MIN_SERVICE_TOKEN_LENGTH, `must be at least ${MIN_SERVICE_TOKEN_LENGTH} characters`)
    .default(DEV_SERVICE_TOKEN)
    .describe("Bearer token of internal callers (`authorization: Bearer <token>`), needed by the internal RPCs and sent on this process's own calls to its peers. The default is public: refused in production mode, a warning otherwise."),
  AUTH_REQUIRED_FOR_READS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((v) => v === "true")
    .describe("`true`: reads of a user's data (recommendations, events, the account with its email) need that user's access token or the service token; `false` opens them (a laptop demo only)."),
};

/** Options of {@link AccessControl}. */
export interface AccessControlOptions {
  /** The HS256 secret of user access tokens (the UserService's `JWT_SECRET`). */
  readonly jwtSecret: string;
  /** The service token (`SERVICE_TOKEN`). */
  readonly serviceToken: string;
  /** Whether reads of a user's data need a token too (`AUTH_REQUIRED_FOR_READS`; default true). */
  readonly requireAuthForReads?: boolean;
  /**
   * Tells whether a valid user token was revoked since it was issued (by a password change); a
   * revoked token is UNAUTHENTICATED "access token revoked: sign in again". Without it, user tokens
   * are good until they expire. The UserService checks its own database; the other services pass
   * `GrpcTokenRevocation.isRevoked` (peers/token-revocation.ts), which caches for a few seconds.
   */
  readonly isRevoked?: TokenRevocationCheck;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Access control of the RPCs that act for a user, checked in the service (so direct gRPC callers
 * and REST callers through Envoy, which forwards the `authorization` header as gRPC metadata, get
 * the same answer).
 *
 * Credentials: one header, `authorization: Bearer <token>` (RFC 6750 §2.1,
 * https://www.rfc-editor.org/rfc/rfc6750#section-2.1), where the token is either
 * - the service token, compared in constant time (SHA-256 digests with `crypto.timingSafeEqual`,
 *   so neither the content nor the length leaks through timing), giving a `service` principal; or
 * - a user's access token (HS256 JWT, see `verifyAccessToken`), giving a `user` principal.
 *
 * Errors: a missing, malformed, expired or invalid credential is UNAUTHENTICATED (HTTP 401 through
 * Envoy); a valid user token used for another user is PERMISSION_DENIED (HTTP 403).
 */
export class AccessControl {
  private readonly serviceDigest: Buffer;

  /**
   * @param options - JWT secret, service token and the reads flag.
   * @throws Error when the secret or the service token is shorter than 32 characters.
   */
  constructor(private readonly options: AccessControlOptions) {
    if (options.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
      throw new Error(`the JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
    }
    if (options.serviceToken.length < MIN_SERVICE_TOKEN_LENGTH) {
      throw new Error(`the service token must be at least ${MIN_SERVICE_TOKEN_LENGTH} characters`);
    }
    this.serviceDigest = digest(options.serviceToken);
  }

  /** Whether reads of a user's data need credentials (`AUTH_REQUIRED_FOR_READS`). */
  get requireAuthForReads(): boolean {
    return this.options.requireAuthForReads ?? true;
  }

  /**
   * Finds who the request acts as from its `authorization` header.
   *
   * @param headers - the request headers (gRPC metadata; `HandlerContext.requestHeader`).
   * @returns the principal.
   * @throws ConnectError UNAUTHENTICATED "missing access token …", "authorization: …" (not a Bearer
   *   credential), "access token expired", "invalid access token" or "access token revoked: sign in
   *   again"; UnavailableError when the revocation check cannot answer.
   */
  async authenticate(headers: Headers): Promise<Principal> {
    const value = headers.get(AUTHORIZATION_HEADER);
    if (value === null || value.trim() === "") {
      throw new ConnectError("missing access token: send authorization: Bearer <token>", Code.Unauthenticated);
    }
    if (value.length > MAX_AUTHORIZATION_LENGTH) throw new ConnectError("invalid access token", Code.Unauthenticated);
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(value.trim());
    if (!match) throw new ConnectError("authorization: must be 'Bearer <token>'", Code.Unauthenticated);
    const token = match[1]!;
    if (timingSafeEqual(digest(token), this.serviceDigest)) return { kind: "service" };
    const claims = await verifyAccessToken(token, this.options.jwtSecret);
    if (await this.options.isRevoked?.(claims)) throw new ConnectError("access token revoked: sign in again", Code.Unauthenticated);
    return { kind: "user", userId: claims.userId };
  }

  /**
   * Checks that a principal may act for a user: the service principal may act for anyone, a user
   * only for themself.
   *
   * @param principal - from {@link authenticate}.
   * @param userId - the user the request acts for (as received; compared exactly).
   * @param field - the request field holding the user id, named in the error (default `user_id`).
   * @throws ConnectError PERMISSION_DENIED "<field>: the access token is for another user".
   */
  authorizeUser(principal: Principal, userId: string, field = "user_id"): void {
    if (principal.kind === "service") return;
    if (principal.userId !== userId) {
      throw new ConnectError(`${field}: the access token is for another user`, Code.PermissionDenied);
    }
  }

  /**
   * Authenticates the request and checks that it may act for `userId` (writes, and reads when
   * `AUTH_REQUIRED_FOR_READS` is on).
   *
   * @throws ConnectError UNAUTHENTICATED or PERMISSION_DENIED (see {@link authenticate}, {@link authorizeUser}).
   */
  async requireUser(headers: Headers, userId: string, field = "user_id"): Promise<Principal> {
    const principal = await this.authenticate(headers);
    this.authorizeUser(principal, userId, field);
    return principal;
  }

  /**
   * Like {@link requireUser}, for reads: does nothing unless `AUTH_REQUIRED_FOR_READS` is on.
   *
   * @throws ConnectError UNAUTHENTICATED or PERMISSION_DENIED when reads need credentials.
   */
  async requireUserForRead(headers: Headers, userId: string, field = "user_id"): Promise<void> {
    if (this.requireAuthForReads) await this.requireUser(headers, userId, field);
  }

  /**
   * Checks that the request holds the service token: the internal RPCs, those without a
   * `google.api.http` rule (ScanEvents, GetUserHistory, BatchGetProducts), which the public listener
   * never routes and which answer on the gRPC ports to internal callers only, whatever
   * `AUTH_REQUIRED_FOR_READS` says.
   *
   * @throws ConnectError UNAUTHENTICATED for missing or bad credentials; PERMISSION_DENIED "this RPC
   *   is for internal callers (service token)" for a user's token.
   */
  async requireService(headers: Headers): Promise<void> {
    const principal = await this.authenticate(headers);
    if (principal.kind !== "service") {
      throw new ConnectError("this RPC is for internal callers (service token)", Code.PermissionDenied);
    }
  }
}

/**
 * Client interceptor that sends the service token (`authorization: Bearer <token>`) on every call
 * that carries no authorization yet, for internal callers of the mesh (`createServiceClient(…,
 * { interceptors: [serviceTokenInterceptor(token)] })`).
 *
 * @param token - the service token.
 */
export function serviceTokenInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (next) => async (req) => {
    if (!req.header.has(AUTHORIZATION_HEADER)) req.header.set(AUTHORIZATION_HEADER, value);
    return next(req);
  };
}
