import { Code, ConnectError } from "@connectrpc/connect";
import { errors, jwtVerify, SignJWT } from "jose";

/** The `iss` claim of every access token. */
export const ACCESS_TOKEN_ISSUER = "recsys";

/**
 * The signing secret used when `JWT_SECRET` is not set: fine for a laptop, never for a deployment
 * (the services log a warning at start when it is in use). The UserService signs with it and every
 * service that checks access tokens must be configured with the same value.
 */
export const DEV_JWT_SECRET = "recsys-development-secret-change-me-0123456789";

/** Shortest accepted secret, in characters (HS256 wants at least 256 bits of key, RFC 7518 §3.2). */
export const MIN_JWT_SECRET_LENGTH = 32;

/**
 * The private claim (RFC 7519 §4.3) carrying the account's token version at issue time: the
 * UserService increments an account's version when its password changes, and a token whose version
 * is below the account's current one is revoked. Tokens without the claim have version 0.
 */
export const TOKEN_VERSION_CLAIM = "ver";

/** Largest token version accepted in a token (the UserService keeps it in a 32-bit column). */
const MAX_TOKEN_VERSION = 2 ** 31 - 1;

/** What a valid access token says. */
export interface AccessTokenClaims {
  /** The user id (`sub`). */
  readonly userId: string;
  /** When the token expires (`exp`). */
  readonly expireTime: Date;
  /** The account's token version when the token was issued (the {@link TOKEN_VERSION_CLAIM} claim, 0 when absent). */
  readonly tokenVersion: number;
}

/**
 * Tells whether a verified user access token has been revoked (by a password change since it was
 * issued): the optional check of `AccessControl`. See `GrpcTokenRevocation`
 * (services/shared/src/peers/token-revocation.ts) for the other services, the UserService's own
 * repository check for itself.
 *
 * @param claims - the token's verified claims.
 * @returns true when the token must be refused.
 * @throws UnavailableError when the revocation state cannot be read.
 */
export type TokenRevocationCheck = (claims: AccessTokenClaims) => Promise<boolean>;

/**
 * Turns a secret into the HMAC key of HS256.
 *
 * @param secret - at least {@link MIN_JWT_SECRET_LENGTH} characters.
 * @throws Error when the secret is too short (a configuration fault, not the caller's).
 */
export function hmacKey(secret: string): Uint8Array {
  if (secret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`the JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  return new TextEncoder().encode(secret);
}

/**
 * Verifies an access token issued by the UserService ({@link issueAccessToken}): a JWT (RFC 7519,
 * https://www.rfc-editor.org/rfc/rfc7519) with an HS256 signature only (no `alg: none`, no other
 * algorithm), issuer "recsys", expiry (no clock tolerance), a non-empty subject, and a token
 * version ({@link TOKEN_VERSION_CLAIM}) that is absent or a non-negative integer. Whether the token
 * was revoked since is not checked here (see {@link TokenRevocationCheck}).
 *
 * @param token - the compact JWT (without the "Bearer " prefix).
 * @param secret - the same secret the UserService signs with.
 * @param now - the time to check expiry against (default: the current time).
 * @returns the user id and expiry.
 * @throws ConnectError UNAUTHENTICATED "access token expired" or "invalid access token"; Error
 *   when the secret is shorter than 32 characters.
 */
export async function verifyAccessToken(token: string, secret: string, now?: Date): Promise<AccessTokenClaims> {
  const key = hmacKey(secret);
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: ACCESS_TOKEN_ISSUER,
      requiredClaims: ["sub", "exp"],
      ...(now ? { currentDate: now } : {}),
    });
    if (!payload.sub || payload.exp === undefined) throw new Error("missing claims");
    const version = payload[TOKEN_VERSION_CLAIM] ?? 0;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 0 || version > MAX_TOKEN_VERSION) {
      throw new Error("bad token version");
    }
    return { userId: payload.sub, expireTime: new Date(payload.exp * 1000), tokenVersion: version };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new ConnectError("access token expired", Code.Unauthenticated);
    throw new ConnectError("invalid access token", Code.Unauthenticated);
  }
}

/** A signed access token and when it expires. */
export interface IssuedToken {
  /** The compact JWT (RFC 7519), HS256. */
  readonly token: string;
  /** When it stops being accepted (`exp`, whole seconds). */
  readonly expireTime: Date;
}

/**
 * Signs an access token: a JWT (RFC 7519, https://www.rfc-editor.org/rfc/rfc7519) with HS256,
 * `sub` = user id, `iss` = "recsys", `iat`, `exp` = now + ttl, a random `jti`, and the account's
 * token version ({@link TOKEN_VERSION_CLAIM}).
 *
 * @param userId - the subject.
 * @param secret - the HMAC secret (at least 32 characters).
 * @param ttlSeconds - lifetime, in seconds.
 * @param now - the issue time (default: the current time).
 * @param tokenVersion - the account's current token version (default 0).
 * @throws Error when the secret is shorter than 32 characters; RangeError when the version is not an
 *   integer from 0 to 2^31 - 1.
 */
export async function issueAccessToken(
  userId: string,
  secret: string,
  ttlSeconds: number,
  now = new Date(),
  tokenVersion = 0,
): Promise<IssuedToken> {
  if (!Number.isInteger(tokenVersion) || tokenVersion < 0 || tokenVersion > MAX_TOKEN_VERSION) {
    throw new RangeError(`tokenVersion: must be an integer from 0 to ${MAX_TOKEN_VERSION}, got ${tokenVersion}`);
  }
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ [TOKEN_VERSION_CLAIM]: tokenVersion })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(hmacKey(secret));
  return { token, expireTime: new Date(exp * 1000) };
}
