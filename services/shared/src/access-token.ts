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

/** What a valid access token says. */
export interface AccessTokenClaims {
  /** The user id (`sub`). */
  readonly userId: string;
  /** When the token expires (`exp`). */
  readonly expireTime: Date;
}

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
 * Verifies an access token issued by the UserService (`issueAccessToken` in
 * services/user/src/tokens.ts): a JWT (RFC 7519, https://www.rfc-editor.org/rfc/rfc7519) with an
 * HS256 signature only (no `alg: none`, no other algorithm), issuer "recsys", expiry (no clock
 * tolerance), and a non-empty subject.
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
    return { userId: payload.sub, expireTime: new Date(payload.exp * 1000) };
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
 * `sub` = user id, `iss` = "recsys", `iat`, `exp` = now + ttl, and a random `jti`.
 *
 * @param userId - the subject.
 * @param secret - the HMAC secret (at least 32 characters).
 * @param ttlSeconds - lifetime, in seconds.
 * @param now - the issue time (default: the current time).
 * @throws Error when the secret is shorter than 32 characters.
 */
export async function issueAccessToken(userId: string, secret: string, ttlSeconds: number, now = new Date()): Promise<IssuedToken> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(hmacKey(secret));
  return { token, expireTime: new Date(exp * 1000) };
}
