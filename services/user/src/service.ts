import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  CreateSessionResponseSchema,
  CreateUserResponseSchema,
  GetUserResponseSchema,
  UpdateUserResponseSchema,
  UserSchema,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type CreateUserRequest,
  type CreateUserResponse,
  type GetUserRequest,
  type GetUserResponse,
  type UpdateUserRequest,
  type UpdateUserResponse,
  type User,
  type UserService,
} from "../../../gen/recsys/user/v1/user_service_pb.js";
import { AccessControl } from "../../shared/src/access-control.js";
import { invalidArgument, notFound } from "../../shared/src/errors.js";
import { requireId } from "../../shared/src/validation.js";
import type { UserRecord, UserRepository } from "./data/user-repository.js";
import { hashPassword, verifyDummyPassword, verifyPassword, type ScryptParams } from "./passwords.js";
import { issueAccessToken } from "../../shared/src/access-token.js";

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
  /** scrypt cost for new hashes (default: passwords.ts' DEFAULT_SCRYPT_PARAMS). */
  readonly scryptParams?: ScryptParams;
}

/**
 * UserService: registration, password sign-in issuing JWT access tokens, profile look-up
 * (recsys.user.v1). Password hashes never leave this class's repository calls.
 *
 * Errors: INVALID_ARGUMENT naming the field; ALREADY_EXISTS for a taken username; UNAUTHENTICATED
 * "invalid username or password" for any failed sign-in; NOT_FOUND for an unknown user;
 * UNAUTHENTICATED / PERMISSION_DENIED for UpdateUser without the account's own access token (or the
 * service token).
 */
export class UserServiceImpl implements ServiceImpl<typeof UserService> {
  private readonly access: AccessControl;

  /**
   * @param deps - repository, token settings and hash cost.
   * @throws Error when the JWT secret or the service token is shorter than 32 characters.
   */
  constructor(private readonly deps: UserServiceDeps) {
    this.access = new AccessControl({ jwtSecret: deps.jwtSecret, serviceToken: deps.serviceToken });
  }

  /**
   * Registers an account: validates every field first (nothing is written for a rejected request),
   * hashes the password with scrypt, and inserts in one statement that relies on the
   * case-insensitive unique index, so concurrent registrations of one name cannot both succeed.
   *
   * @throws ConnectError INVALID_ARGUMENT naming `username`, `email` or `password`; ALREADY_EXISTS
   *   when the username is taken (case-insensitively).
   */
  async createUser(request: CreateUserRequest): Promise<CreateUserResponse> {
    const username = validateUsername(request.username);
    const email = validateEmail(request.email);
    const password = validatePassword(request.password);
    const passwordHash = await hashPassword(password, this.deps.scryptParams);
    const user = await this.deps.repository.create({ userId: randomUUID(), username, email, passwordHash });
    if (!user) throw new ConnectError(`username ${JSON.stringify(username)} is already taken`, Code.AlreadyExists);
    return create(CreateUserResponseSchema, { user: toUser(user) });
  }

  /**
   * Signs in: checks the password against the stored scrypt hash and issues an HS256 access token
   * (`sub` = user id). An unknown username, an account without a password and a wrong password all
   * give the same error after the same amount of hashing work.
   *
   * @throws ConnectError INVALID_ARGUMENT for an empty username or password or a password over 128
   *   characters; UNAUTHENTICATED "invalid username or password".
   */
  async createSession(request: CreateSessionRequest): Promise<CreateSessionResponse> {
    if (request.username === "") throw invalidArgument("username", "is required");
    if (request.password === "") throw invalidArgument("password", "is required");
    if ([...request.password].length > MAX_PASSWORD_LENGTH) {
      throw invalidArgument("password", `must be at most ${MAX_PASSWORD_LENGTH} characters`);
    }
    const found = USERNAME_PATTERN.test(request.username)
      ? await this.deps.repository.findCredentials(request.username)
      : undefined;
    const ok = found?.passwordHash
      ? await verifyPassword(request.password, found.passwordHash)
      : await verifyDummyPassword(request.password);
    if (!found || !ok) throw new ConnectError(INVALID_CREDENTIALS, Code.Unauthenticated);
    const issued = await issueAccessToken(found.user.userId, this.deps.jwtSecret, this.deps.tokenTtlSeconds);
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
   * for a rejected request), hashes a new password with scrypt, and updates in one statement.
   * Access tokens issued before a password change stay valid until they expire.
   *
   * @throws ConnectError UNAUTHENTICATED without a valid token; PERMISSION_DENIED "user_id: the access
   *   token is for another user"; INVALID_ARGUMENT naming `user_id`, `email` or `password`; NOT_FOUND.
   */
  async updateUser(request: UpdateUserRequest, context: HandlerContext): Promise<UpdateUserResponse> {
    await this.access.requireUser(context.requestHeader, request.userId);
    const userId = requireId("user_id", request.userId);
    const email = request.email === undefined ? undefined : validateEmail(request.email);
    const password = request.password === undefined ? undefined : validatePassword(request.password);
    let user: UserRecord | undefined;
    if (email === undefined && password === undefined) {
      user = await this.deps.repository.get(userId);
    } else {
      const passwordHash = password === undefined ? undefined : await hashPassword(password, this.deps.scryptParams);
      user = await this.deps.repository.update(userId, { email, passwordHash });
    }
    if (!user) throw notFound("user", userId);
    return create(UpdateUserResponseSchema, { user: toUser(user) });
  }

  /**
   * Returns one account, without its password hash.
   *
   * @throws ConnectError INVALID_ARGUMENT naming `user_id`; NOT_FOUND.
   */
  async getUser(request: GetUserRequest): Promise<GetUserResponse> {
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

function validateUsername(username: string): string {
  if (username === "") throw invalidArgument("username", "is required");
  if (!USERNAME_PATTERN.test(username)) {
    throw invalidArgument("username", "must be 3 to 32 characters of letters, digits, '.', '_' or '-'");
  }
  if (username.toLowerCase().startsWith(IMPORTED_USERNAME_PREFIX)) {
    throw invalidArgument("username", `must not start with ${IMPORTED_USERNAME_PREFIX} (reserved for imported users)`);
  }
  return username;
}

function validateEmail(email: string): string {
  if (email === "") throw invalidArgument("email", "is required");
  if (email.length > MAX_EMAIL_LENGTH) {
    throw invalidArgument("email", `must be at most ${MAX_EMAIL_LENGTH} characters, got ${email.length}`);
  }
  if (!EMAIL_PATTERN.test(email)) throw invalidArgument("email", "must be an address like name@example.com");
  return email;
}

function validatePassword(password: string): string {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw invalidArgument("password", `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, got ${length}`);
  }
  return password;
}
