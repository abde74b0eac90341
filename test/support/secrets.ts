/**
 * Secrets of suites that build services in process (JWT signing, the internal service token). They
 * are test values only, never the development defaults (services/shared/src/access-token.ts,
 * access-control.ts), so no suite can pass by relying on those. Both are longer than the 32
 * characters the services' configuration requires.
 */

/** HS256 secret with which test user services sign, and test engagement services verify, access tokens. */
export const TEST_JWT_SECRET = "recsys-test-jwt-secret-0123456789abcdef";

/** Service token (`SERVICE_TOKEN`) of in-process test services: `authorization: Bearer <token>` acts for any user. */
export const TEST_SERVICE_TOKEN = "recsys-test-service-token-0123456789abcdef";
