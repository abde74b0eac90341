import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import { grpcurlPath } from "../../scripts/infra/paths.js";

/** Addresses of the test mesh started by test/global-setup.ts. */
export interface TestMesh {
  /** Envoy's REST base URL, for example `http://127.0.0.1:28080`. */
  readonly restUrl: string;
  /** `host:port` of each service's gRPC server. */
  readonly grpc: Readonly<Record<"recommendation" | "product" | "user" | "engagement", string>>;
  /** Directory of the services' and servers' log files. */
  readonly logDir: string;
  /** The MovieLens directory that was imported. */
  readonly movieLensDir: string;
  /** Each process's Prometheus endpoint (`http://127.0.0.1:<port>/metrics`), by process name. */
  readonly metricsUrls: Readonly<Record<string, string>>;
}

/**
 * Returns the test mesh's addresses.
 *
 * @throws Error naming the missing variable when the run has no mesh (the suite fails, never skips).
 */
export function testMesh(): TestMesh {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: end-to-end suites need the mesh that \`npm test\` starts`);
    return value;
  };
  return {
    restUrl: need("RECSYS_TEST_REST_URL"),
    grpc: {
      recommendation: need("RECSYS_TEST_RECOMMENDATION_ADDR"),
      product: need("RECSYS_TEST_PRODUCT_ADDR"),
      user: need("RECSYS_TEST_USER_ADDR"),
      engagement: need("RECSYS_TEST_ENGAGEMENT_ADDR"),
    },
    logDir: need("RECSYS_TEST_LOG_DIR"),
    movieLensDir: need("RECSYS_TEST_MOVIELENS_DIR"),
    metricsUrls: JSON.parse(need("RECSYS_TEST_METRICS_URLS")) as Record<string, string>,
  };
}

/** A REST answer: status, parsed JSON body (or undefined) and headers. */
export interface RestResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/**
 * Calls the REST API through Envoy.
 *
 * @param method - HTTP method.
 * @param pathAndQuery - for example `/v1/products/1`.
 * @param body - JSON body for POST and PATCH.
 * @param headers - extra request headers.
 */
export async function rest<T = Record<string, unknown>>(
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
  pathAndQuery: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RestResponse<T>> {
  const res = await fetch(`${testMesh().restUrl}${pathAndQuery}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** An account a suite registered, with an access token for it. */
export interface TestAccount {
  /** The user id the UserService assigned. */
  readonly userId: string;
  /** The username it was registered with. */
  readonly username: string;
  /** Its access token (`POST /v1/sessions`), for `bearer(token)`. */
  readonly token: string;
}

/**
 * Registers an account through Envoy (`POST /v1/users`, email `<username>@example.com`) and signs
 * it in (`POST /v1/sessions`), asserting 200 for both. Each call is one sign-in from 127.0.0.1,
 * which shares the UserService's per-address throttle with every suite of the run.
 *
 * @param username - a new username (suites add a random suffix).
 * @param password - its password (default "a long enough password").
 */
export async function signUp(username: string, password = "a long enough password"): Promise<TestAccount> {
  const created = await rest<{ user: { userId: string } }>("POST", "/v1/users", { username, email: `${username}@example.com`, password });
  expect(created.status).toBe(200);
  const session = await rest<{ accessToken: string }>("POST", "/v1/sessions", { username, password });
  expect(session.status).toBe(200);
  return { userId: created.body.user.userId, username, token: session.body.accessToken };
}

/**
 * The test mesh's service token (`RECSYS_TEST_SERVICE_TOKEN`, set by test/global-setup.ts): it may
 * act for any user.
 *
 * @throws Error when the run has no mesh.
 */
export function testServiceToken(): string {
  const token = process.env.RECSYS_TEST_SERVICE_TOKEN;
  if (!token) throw new Error("RECSYS_TEST_SERVICE_TOKEN is not set: end-to-end suites need the mesh that `npm test` starts");
  return token;
}

/** `authorization: Bearer <token>` headers, by default with the test mesh's service token. */
export function bearer(token: string = testServiceToken()): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * Runs the real grpcurl binary (installed by `npm run provision`) against a plaintext gRPC server.
 *
 * @param args - grpcurl arguments after `-plaintext`, for example `["127.0.0.1:21052", "list"]`.
 * @returns stdout.
 * @throws Error with stderr when grpcurl exits non-zero.
 */
export function grpcurl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(grpcurlPath(), ["-plaintext", ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`grpcurl ${args.join(" ")}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * Reads the ids of the movies a MovieLens user rated, straight from ratings.csv.
 *
 * @param dir - the MovieLens directory.
 * @param userId - the MovieLens userId.
 */
export async function ratedMovieIds(dir: string, userId: string): Promise<Set<string>> {
  const rows = parse(await readFile(path.join(dir, "ratings.csv")), { columns: true }) as Array<{ userId: string; movieId: string }>;
  return new Set(rows.filter((r) => r.userId === userId).map((r) => r.movieId));
}
