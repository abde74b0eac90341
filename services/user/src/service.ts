import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  BatchImportUsersResponseSchema,
  ImportUserOutcome,
  ImportUserResultSchema,
  type BatchImportUsersRequest,
  type BatchImportUsersResponse,
  CreateSessionResponseSchema,
  CreateUserResponseSchema,
  DeleteUserResponseSchema,
  ListUsersResponseSchema,
  type DeleteUserRequest,
  type DeleteUserResponse,
  type ListUsersRequest,
  type ListUsersResponse,
  GetTokenStateResponseSchema,
  GetUserResponseSchema,
  UpdateUserResponseSchema,
  UserSchema,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type CreateUserRequest,
  type CreateUserResponse,
  type GetTokenStateRequest,
  type GetTokenStateResponse,
  type GetUserRequest,
  type GetUserResponse,
  type UpdateUserRequest,
  type UpdateUserResponse,
  type User,
  type UserService,
} from "../../../gen/recsys/user/v1/user_service_pb.js";
import { AccessControl } from "../../shared/src/access-control.js";
import { invalidArgument, notFound, toConnectError } from "../../shared/src/errors.js";
import { decodePageToken, encodePageToken, requireId, resolveSize } from "../../shared/src/validation.js";
import { UnavailableError } from "../../shared/src/domain-errors.js";
import type { UserEventsEraser } from "./peers/user-events-eraser.js";
import { PEER_ADDRESS } from "../../shared/src/grpc-server.js";
import { currentRequest } from "../../shared/src/request-context.js";
import type { ImportedUser, ImportOutcome, UserRecord, UserRepository } from "./data/user-repository.js";
import { clientAddress } from "./client-address.js";
import { LoginThrottle } from "./login-throttle.js";
import { DEFAULT_ARGON2_PARAMS, hashPassword, needsRehash, verifyDummyPassword, verifyPassword, type Argon2Params } from "./passwords.js";
import { issueAccessToken, type AccessTokenClaims } from "../../shared/src/access-token.js";

/** Username rule: 3 to 32 of ASCII letters, digits, '.', '_', '-'. */
const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,32}$/;
/** Prefix of the usernames of imported MovieLens users ("movielens_42"), not open to registration. */
export const IMPORTED_USERNAME_PREFIX = "movielens_";
/** Longest accepted email, in characters (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/** Password length bounds, in characters (Unicode code points). */
export const MIN_PASSWORD_LENGTH = 8;
/** See {@link MIN_PASSWORD_LENGTH}. */
export const MAX_PASSWORD_LENGTH = 128;
/** A deliberately simple address check: something@something.tld, no spaces, one '@'. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

/** Most users one BatchImportUsers request may carry. */
export const MAX_IMPORT_USERS = 1000;

/** The one message of every failed sign-in, whatever the reason. */
export const INVALID_CREDENTIALS = "invalid username or password";

/** What the UserService needs. */
export interface UserServiceDeps {
  /** Account storage. */
  readonly repository: UserRepository;
  /** HS256 secret for access tokens (≥ 32 characters). */
  readonly jwtSecret: string;
  /** The service token of internal callers (≥ 32 characters), which may act for any account. */
  readonly serviceToken: string;
  /** Access token lifetime, in seconds. */
  readonly tokenTtlSeconds: number;
  /**
   * Argon2id cost of new hashes (default: passwords.ts' DEFAULT_ARGON2_PARAMS, OWASP's m = 19 MiB,
   * t = 2, p = 1); a stored hash of another kind or cost is rehashed at the next successful sign-in.
   */
  readonly hashParams?: Argon2Params;
  /** Throttle of password checks (default: a `LoginThrottle` with its DEFAULT_LOGIN_LIMITS). */
  readonly loginThrottle?: LoginThrottle;
  /**
   * Whether GetUser needs the account's own token or the service token (`AUTH_REQUIRED_FOR_READS`,
   * default true): the account holds the email address.
   */
  readonly requireAuthForReads?: boolean;
  /**
   * The engagement side of DeleteUser (`GrpcUserEventsEraser`: EngagementService.DeleteUserEvents);
   * without it DeleteUser answers UNAVAILABLE and deletes nothing.
   */
  readonly events?: UserEventsEraser;
}

/** ListUsers page size: default 20, at most 100. */
const LIST_DEFAULT = 20;
const LIST_MAX = 100;

interface ListCursor {
  /** user_id of the last account returned. */
  a: string;
}

function isListCursor(v: unknown): v is ListCursor {
  const c = v as Partial<ListCursor> | null;
  return typeof c === "object" && c !== null && typeof c.a === "string" && c.a.length > 0;
}

/**
 * UserService: registration, password sign-in issuing JWT access tokens, profile look-up, the
 * token state other services use to refuse revoked tokens (recsys.user.v1). Password hashes
 * (Argon2id; legacy scrypt until the next sign-in) never leave this class's repository calls.
 *
 * Errors: INVALID_ARGUMENT naming the field; ALREADY_EXISTS for a taken username; UNAUTHENTICATED
 * "invalid username or password" for any failed sign-in; RESOURCE_EXHAUSTED with a `retry-after`
 * trailer for throttled password checks; NOT_FOUND for an unknown user; UNAUTHENTICATED /
 * PERMISSION_DENIED for UpdateUser without the account's own access token (or the service token),
 * for a revoked token, or for a wrong `current_password`.
 */
export class UserServiceImpl implements ServiceImpl<typeof UserService> {
  private readonly access: AccessControl;
  private readonly hashParams: Argon2Params;
  private readonly throttle: LoginThrottle;

  /**
   * @param deps - repository, token settings and hash cost.
   * @throws Error when the JWT secret or the service token is shorter than 32 characters.
   */
  constructor(private readonly deps: UserServiceDeps) {
    this.hashParams = deps.hashParams ?? DEFAULT_ARGON2_PARAMS;
    this.throttle = deps.loginThrottle ?? new LoginThrottle();
    this.access = new AccessControl({
      jwtSecret: deps.jwtSecret,
      serviceToken: deps.serviceToken,
      isRevoked: (claims) => this.isRevoked(claims),
      requireAuthForReads: deps.requireAuthForReads ?? true,
    });
  }

  /**
   * Registers an account: validates every field first (nothing is written for a rejected request),
   * hashes the password with Argon2id, and inserts in one statement that relies on the
   * case-insensitive unique index, so concurrent registrations of one name cannot both succeed.
   *
   * @throws ConnectError INVALID_ARGUMENT naming `username`, `email` or `password`; ALREADY_EXISTS
   *   when the username is taken (case-insensitively).
   */
  async createUser(request: CreateUserRequest): Promise<CreateUserResponse> {
    const username = validateUsername(request.username);
    const email = validateEmail(request.email);
    const password = validatePassword(request.password);
    const passwordHash = await hashPassword(password, this.hashParams);
    const user = await this.deps.repository.create({ userId: randomUUID(), username, email, passwordHash });
    if (!user) throw new ConnectError(`username ${JSON.stringify(username)} is already taken`, Code.AlreadyExists);
    return create(CreateUserResponseSchema, { user: toUser(user) });
  }

  /**
   * Signs in: checks the password against the stored hash and issues an HS256 access token
   * (`sub` = user id, `ver` = the account's token version). An unknown username, an account without
   * a password and a wrong password all give the same error after the same amount of hashing work.
   * Before any hashing, the attempt is throttled per username and per client address (see
   * `LoginThrottle`; the address is Envoy's `x-envoy-external-address` / `x-forwarded-for`, else the
   * gRPC peer, see `clientAddress`), so refused attempts cost no Argon2 work. After a success, a
   * legacy scrypt hash (or one of another cost) is replaced by an Argon2id hash of the same password;
   * the account's tokens stay valid.
   *
   * @throws ConnectError INVALID_ARGUMENT for an empty username or password or a password over 128
   *   characters; RESOURCE_EXHAUSTED "too many sign-in attempts …: retry after N seconds" with a
   *   `retry-after: N` trailer (HTTP 429 and header through Envoy); UNAUTHENTICATED "invalid username
   *   or password".
   */
  async createSession(request: CreateSessionRequest, context?: HandlerContext): Promise<CreateSessionResponse> {
    if (request.username === "") throw invalidArgument("username", "is required");
    if (request.password === "") throw invalidArgument("password", "is required");
    if ([...request.password].length > MAX_PASSWORD_LENGTH) {
      throw invalidArgument("password", `must be at most ${MAX_PASSWORD_LENGTH} characters`);
    }
    const nameable = USERNAME_PATTERN.test(request.username);
    const attempt = await this.throttle.begin(nameable ? request.username : undefined, clientOf(context));
    const found = nameable ? await this.deps.repository.findCredentials(request.username) : undefined;
    const ok = found?.passwordHash
      ? await verifyPassword(request.password, found.passwordHash)
      : await verifyDummyPassword(request.password, this.hashParams);
    if (!found?.passwordHash || !ok) throw new ConnectError(INVALID_CREDENTIALS, Code.Unauthenticated);
    await attempt.succeeded();
    await this.rehashIfNeeded(found.user.userId, found.passwordHash, request.password);
    const issued = await issueAccessToken(found.user.userId, this.deps.jwtSecret, this.deps.tokenTtlSeconds, new Date(), found.tokenVersion);
    return create(CreateSessionResponseSchema, {
      accessToken: issued.token,
      expireTime: timestampFromDate(issued.expireTime),
      user: toUser(found.user),
    });
  }

  /**
   * Changes an account's email and/or password (proto3 optional fields: an unset field keeps its
   * value; neither set returns the account unchanged). Only the account itself may do so (its access
   * token, `authorization: Bearer <jwt>`), or an internal caller with the service token. Checks
   * credentials first, then validates every given field with CreateUser's rules (nothing is written
   * for a rejected request).
   *
   * A new password needs `current_password` when the caller uses the account's own token: it is
   * checked like a sign-in (throttled per username and address before hashing, see `LoginThrottle`).
   * The service token may set a password without it: an operator's reset. A password change hashes
   * the new password with Argon2id and increments the account's token version in one statement,
   * which revokes every access token issued before it: this service refuses them at once, the others
   * within their revocation cache's time to live (`GrpcTokenRevocation`, 5 s by default). The caller
   * signs in again with the new password.
   *
   * @throws ConnectError UNAUTHENTICATED without a valid (unrevoked) token; PERMISSION_DENIED
   *   "user_id: the access token is for another user" or "current_password: does not match the
   *   account's password"; INVALID_ARGUMENT naming `user_id`, `email`, `password` or
   *   `current_password` (missing); RESOURCE_EXHAUSTED with `retry-after` when password checks are
   *   throttled; ABORTED when the password changed concurrently; NOT_FOUND.
   */
  async updateUser(request: UpdateUserRequest, context: HandlerContext): Promise<UpdateUserResponse> {
    const principal = await this.access.requireUser(context.requestHeader, request.userId);
    const userId = requireId("user_id", request.userId);
    const email = request.email === undefined ? undefined : validateEmail(request.email);
    const password = request.password === undefined ? undefined : validatePassword(request.password);
    let user: UserRecord | undefined;
    if (password === undefined) {
      user = email === undefined ? await this.deps.repository.get(userId) : await this.deps.repository.updateEmail(userId, email);
    } else {
      const expectedHash = principal.kind === "user" ? await this.checkCurrentPassword(userId, request.currentPassword, context) : undefined;
      const passwordHash = await hashPassword(password, this.hashParams);
      const changed = await this.deps.repository.changePassword(userId, { passwordHash, email, expectedHash });
      if (changed === "hash-changed") {
        throw new ConnectError("password: the password was changed by another request meanwhile; retry", Code.Aborted);
      }
      user = changed === "not-found" ? undefined : changed.user;
    }
    if (!user) throw notFound("user", userId);
    return create(UpdateUserResponseSchema, { user: toUser(user) });
  }

  /**
   * Returns an account's token version, which other services compare with the `ver` claim of access
   * tokens to refuse revoked ones (`GrpcTokenRevocation`). Internal: no HTTP rule, so the public
   * listener never routes it, and it needs the service token.
   *
   * @throws ConnectError UNAUTHENTICATED without a valid token; PERMISSION_DENIED for a user's token;
   *   INVALID_ARGUMENT naming `user_id`; NOT_FOUND.
   */
  async getTokenState(request: GetTokenStateRequest, context: HandlerContext): Promise<GetTokenStateResponse> {
    await this.access.requireService(context.requestHeader);
    const userId = requireId("user_id", request.userId);
    const tokenVersion = await this.deps.repository.tokenVersion(userId);
    if (tokenVersion === undefined) throw notFound("user", userId);
    return create(GetTokenStateResponseSchema, { tokenVersion });
  }

  /**
   * Pages through the accounts in user_id order (AIP-158: `page_size` 1 to 100, 0 means 20; an
   * opaque `page_token`; an empty `next_page_token` on the last page). Accounts hold email
   * addresses, so only the service token may list them.
   *
   * @throws ConnectError UNAUTHENTICATED without a valid token; PERMISSION_DENIED for a user's
   *   token; INVALID_ARGUMENT naming `page_size` or `page_token`.
   */
  async listUsers(request: ListUsersRequest, context: HandlerContext): Promise<ListUsersResponse> {
    await this.access.requireService(context.requestHeader);
    const pageSize = resolveSize("page_size", request.pageSize, LIST_DEFAULT, LIST_MAX);
    const cursor = decodePageToken("page_token", request.pageToken, isListCursor);
    const rows = await this.deps.repository.list(cursor?.a, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ a: last.userId }) : "";
    return create(ListUsersResponseSchema, { users: page.map(toUser), nextPageToken });
  }

  /**
   * Deletes an account and everything recorded about it, in an order that never leaves half a
   * deletion behind: first EngagementService.DeleteUserEvents (the user's events deleted, the
   * deletion recorded so later events are refused, and a UserDeletion message queued for the
   * recommendation side, in one engagement transaction), then the account row (username, email,
   * password hash, token version: every access token of the account is refused from then on, here at
   * once and in the other services within their revocation cache's 5 s), then the username's
   * sign-in throttle entry. Only the account itself (its access token) or the service token may do
   * it.
   *
   * When the engagement service is down nothing is deleted (UNAVAILABLE) and a retry completes the
   * deletion; DeleteUserEvents is idempotent, so a retry after a failure between the two steps
   * finishes it too. Deleting an account that does not exist is NOT_FOUND (with the account's own
   * token, a second DELETE is UNAUTHENTICATED: the token died with the account).
   *
   * @throws ConnectError UNAUTHENTICATED without a valid (unrevoked) token; PERMISSION_DENIED
   *   "user_id: the access token is for another user"; INVALID_ARGUMENT naming `user_id`;
   *   NOT_FOUND; UNAVAILABLE "engagement service is unavailable, retry later".
   */
  async deleteUser(request: DeleteUserRequest, context: HandlerContext): Promise<DeleteUserResponse> {
    await this.access.requireUser(context.requestHeader, request.userId);
    const userId = requireId("user_id", request.userId);
    const existing = await this.deps.repository.get(userId);
    if (!existing) throw notFound("user", userId);
    if (!this.deps.events) throw new UnavailableError("engagement service");
    const deletedEvents = await this.deps.events.deleteUserEvents(userId);
    const deleted = await this.deps.repository.delete(userId);
    await this.throttle.forget(existing.username);
    currentRequest()?.logger.info({ userId, deletedEvents, accountRemoved: deleted !== undefined }, "user deleted");
    return create(DeleteUserResponseSchema, { deletedEventCount: BigInt(deletedEvents) });
  }

  /**
   * Imports 1 to 1000 accounts with caller-chosen ids and no password, each accepted or rejected on
   * its own: INVALID_ARGUMENT naming the field (`users[3].username: is required`, a repeated
   * user_id), ALREADY_EXISTS when the id is stored with another username or email or the username
   * is another account's. Usernames follow CreateUser's rule, except that the imported prefix
   * `movielens_` is allowed; an empty email is allowed. An identical stored account is UNCHANGED.
   *
   * @throws ConnectError UNAUTHENTICATED / PERMISSION_DENIED without the service token;
   *   INVALID_ARGUMENT naming `users` for 0 or more than 1000 users; UNAVAILABLE when the database
   *   cannot store them.
   */
  async batchImportUsers(request: BatchImportUsersRequest, context: HandlerContext): Promise<BatchImportUsersResponse> {
    await this.access.requireService(context.requestHeader);
    const count = request.users.length;
    if (count === 0 || count > MAX_IMPORT_USERS) throw invalidArgument("users", `must hold 1 to ${MAX_IMPORT_USERS} users, got ${count}`);
    const seen = new Map<string, number>();
    const accepted: { readonly index: number; readonly user: ImportedUser }[] = [];
    const results = request.users.map((user, index) => {
      try {
        const field = `users[${index}]`;
        const userId = requireId(`${field}.user_id`, user.userId);
        const first = seen.get(userId);
        if (first !== undefined) throw invalidArgument(`${field}.user_id`, `repeats users[${first}].user_id`);
        const username = validateUsername(user.username, `${field}.username`, true);
        const email = user.email === "" ? "" : validateEmail(user.email, `${field}.email`);
        seen.set(userId, index);
        accepted.push({ index, user: { userId, username, email } });
        return create(ImportUserResultSchema, { userId: user.userId, status: { code: 0, message: "" } });
      } catch (err) {
        const e = ConnectError.from(err);
        return create(ImportUserResultSchema, { userId: user.userId, status: { code: e.code, message: e.rawMessage } });
      }
    });
    let outcomes: ImportOutcome[];
    try {
      outcomes = await this.deps.repository.batchImport(accepted.map((a) => a.user));
    } catch (err) {
      throw toConnectError(err, "the users database");
    }
    accepted.forEach((a, i) => {
      const result = results[a.index]!;
      const outcome = outcomes[i]!;
      if (outcome === "created") result.outcome = ImportUserOutcome.CREATED;
      else if (outcome === "unchanged") result.outcome = ImportUserOutcome.UNCHANGED;
      else {
        const message =
          outcome === "id-conflict"
            ? `users[${a.index}].user_id: ${JSON.stringify(a.user.userId)} is stored with another username or email`
            : `users[${a.index}].username: ${JSON.stringify(a.user.username)} is already taken`;
        result.status = { $typeName: "google.rpc.Status", code: Code.AlreadyExists, message, details: [] };
      }
    });
    return create(BatchImportUsersResponseSchema, { results });
  }

  /** This service's revocation check: the token's version against the account's, from the database. */
  private async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const current = await this.deps.repository.tokenVersion(claims.userId);
    return current === undefined || claims.tokenVersion < current;
  }

  /**
   * Checks the current password of a password change made with the account's own token.
   *
   * @returns the stored hash it was checked against (for the compare-and-set of the change).
   */
  private async checkCurrentPassword(userId: string, current: string | undefined, context: HandlerContext): Promise<string | null> {
    if (current === undefined || current === "") throw invalidArgument("current_password", "is required to change the password");
    if ([...current].length > MAX_PASSWORD_LENGTH) {
      throw invalidArgument("current_password", `must be at most ${MAX_PASSWORD_LENGTH} characters`);
    }
    const found = await this.deps.repository.findCredentialsById(userId);
    if (!found) throw notFound("user", userId);
    const attempt = await this.throttle.begin(found.user.username, clientOf(context));
    const ok = found.passwordHash ? await verifyPassword(current, found.passwordHash) : await verifyDummyPassword(current, this.hashParams);
    if (!ok) throw new ConnectError("current_password: does not match the account's password", Code.PermissionDenied);
    await attempt.succeeded();
    return found.passwordHash;
  }

  /** Replaces a stored hash that is not Argon2id at the current cost; a failure only logs (the sign-in stands). */
  private async rehashIfNeeded(userId: string, storedHash: string, password: string): Promise<void> {
    if (!needsRehash(storedHash, this.hashParams)) return;
    try {
      await this.deps.repository.replacePasswordHash(userId, storedHash, await hashPassword(password, this.hashParams));
    } catch (err) {
      currentRequest()?.logger.warn({ err, userId }, "could not rehash a password at sign-in");
    }
  }

  /**
   * Returns one account, without its password hash. It holds the email address, so only the account
   * itself (its access token) or an internal caller (the service token) may read it, unless
   * `AUTH_REQUIRED_FOR_READS=false`.
   *
   * @throws ConnectError UNAUTHENTICATED without a valid token; PERMISSION_DENIED "user_id: the
   *   access token is for another user"; INVALID_ARGUMENT naming `user_id`; NOT_FOUND.
   */
  async getUser(request: GetUserRequest, context: HandlerContext): Promise<GetUserResponse> {
    await this.access.requireUserForRead(context.requestHeader, request.userId);
    const id = requireId("user_id", request.userId);
    const user = await this.deps.repository.get(id);
    if (!user) throw notFound("user", id);
    return create(GetUserResponseSchema, { user: toUser(user) });
  }
}

/**
 * Maps a stored account to its protobuf message (which has no field for a hash).
 *
 * @param record - the stored account.
 */
export function toUser(record: UserRecord): User {
  return create(UserSchema, {
    userId: record.userId,
    username: record.username,
    email: record.email,
    createTime: timestampFromDate(record.createTime),
  });
}

/** The client address of a call (see `clientAddress`); "unknown" without a call context. */
function clientOf(context: HandlerContext | undefined): string {
  return context ? clientAddress(context.requestHeader, context.values.get(PEER_ADDRESS)) : clientAddress(new Headers());
}

function validateUsername(username: string, field = "username", imported = false): string {
  if (username === "") throw invalidArgument(field, "is required");
  if (!USERNAME_PATTERN.test(username)) {
    throw invalidArgument(field, "must be 3 to 32 characters of letters, digits, '.', '_' or '-'");
  }
  if (!imported && username.toLowerCase().startsWith(IMPORTED_USERNAME_PREFIX)) {
    throw invalidArgument(field, `must not start with ${IMPORTED_USERNAME_PREFIX} (reserved for imported users)`);
  }
  return username;
}

function validateEmail(email: string, field = "email"): string {
  if (email === "") throw invalidArgument(field, "is required");
  if (email.length > MAX_EMAIL_LENGTH) {
    throw invalidArgument(field, `must be at most ${MAX_EMAIL_LENGTH} characters, got ${email.length}`);
  }
  if (!EMAIL_PATTERN.test(email)) throw invalidArgument(field, "must be an address like name@example.com");
  return email;
}

function validatePassword(password: string): string {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw invalidArgument("password", `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, got ${length}`);
  }
  return password;
}
