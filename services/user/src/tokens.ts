import { SignJWT } from "jose";
import { ACCESS_TOKEN_ISSUER, hmacKey } from "../../shared/src/access-token.js";

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
