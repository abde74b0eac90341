import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { create, getOption, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http } from "../../gen/google/api/annotations_pb.js";
import { EngagementService } from "../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { RecommendationService } from "../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { UserService } from "../../gen/recsys/user/v1/user_service_pb.js";
import { isServing } from "../../scripts/infra/grpc-health.js";
import { rest, signUp, testMesh, testServiceToken, type TestAccount, type TestMesh } from "../support/mesh.js";
import { hostileString, jsonBody, looksLikeForeignUserId, messageInit, type IdPools } from "./hostile-values.js";
import { httpRequest, looseEncode, rawHttp, strictEncode, type RawAnswer } from "./raw-http.js";

// Fuzz test: thousands of malformed and hostile requests to every REST route (read from the
// google.api.http rules of the protos) and every RPC (read from the service descriptors), generated
// with fast-check from a fixed seed (RECSYS_FUZZ_SEED overrides it). Passing means: no 5xx answer
// (no INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE, UNIMPLEMENTED or DEADLINE_EXCEEDED over gRPC), every
// service still healthy afterwards, and no row written by a rejected request (the rows the fuzz could
// have written are exactly those of the requests that were answered with success).

const SEED = Number(process.env.RECSYS_FUZZ_SEED ?? 20_250_611);
/** Generated requests per REST route and per RPC, and the hostile bytes per RPC. */
const REST_PER_ROUTE = 120;
const GRPC_PER_METHOD = 60;
const GARBAGE_PER_METHOD = 3;
/** Requests whose valid ones cost a scrypt hash (~50 ms of CPU each) get fewer samples. */
const EXPENSIVE = new Set(["CreateUser", "CreateSession", "UpdateUser"]);
/**
 * RPCs that delete a user's data when they succeed: fuzzed with user ids that name no account (never
 * the fuzz's own two accounts, whose rows the last check compares), so a sample holding the service
 * token cannot delete an account the rest of the run writes to.
 */
const DESTRUCTIVE = new Set(["DeleteUser", "DeleteUserEvents"]);
const EXPENSIVE_PER_ROUTE = 30;
/** Requests in flight at once. */
const CONCURRENCY = 6;
/** The services' gRPC receive limit (createGrpcServer's default `grpc.max_receive_message_length`). */
const SERVER_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * The largest generated message sent at all. Node's HTTP/2 client buffers an unsent body against its
 * session's maxSessionMemory (10 MB by default) and refuses every later stream on that session with
 * ENHANCE_YOUR_CALM once it is over, so a message of tens of MB (repeated fields of 1,000 long
 * strings) breaks the client, not the server: such samples are skipped.
 */
const CLIENT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** The fuzz client connects from its own loopback address, so Envoy gives it its own rate-limit bucket. */
const FUZZ_ADDRESS = "127.0.0.3";

/** gRPC codes that map to HTTP 5xx (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const SERVER_FAULTS = new Set<Code>([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable, Code.Unimplemented, Code.DeadlineExceeded]);

const SERVICES: ReadonlyArray<readonly [keyof TestMesh["grpc"], DescService]> = [
  ["product", ProductService],
  ["user", UserService],
  ["engagement", EngagementService],
  ["recommendation", RecommendationService],
];

/** What the fuzz sent and what the services accepted, to check the database against. */
class Ledger {
  readonly eventIdsSent = new Set<string>();
  readonly eventUserIdsSent = new Set<string>();
  readonly acceptedEventIds = new Set<string>();
  readonly usernamesSent = new Set<string>();
  readonly createdUsernames = new Set<string>();
  readonly patchedUserIds = new Set<string>();
  readonly failures: string[] = [];
  readonly statuses = new Map<string, number>();
  requests = 0;
  skipped = 0;
  readonly slowest: Array<[number, string]> = [];

  /** Keeps the 10 slowest requests, for the summary line. */
  time(label: string, ms: number): void {
    this.slowest.push([ms, label]);
    this.slowest.sort((a, b) => b[0] - a[0]);
    this.slowest.length = Math.min(this.slowest.length, 10);
  }

  count(key: string): void {
    this.requests += 1;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  /** Notes the ids a RecordEvent-shaped object carries (REST JSON or gRPC init). */
  noteEvent(e: unknown): void {
    if (typeof e !== "object" || e === null) return;
    const { eventId, userId } = e as { eventId?: unknown; userId?: unknown };
    if (typeof eventId === "string") this.eventIdsSent.add(eventId);
    if (typeof userId === "string") this.eventUserIdsSent.add(userId);
  }

  /** Notes what a request may write, by RPC name. */
  noteRequest(rpc: string, body: Record<string, unknown>): void {
    if (rpc === "RecordEvent") this.noteEvent(body);
    if (rpc === "RecordEvents" && Array.isArray(body.events)) for (const e of body.events) this.noteEvent(e);
    if (rpc === "CreateUser" && typeof body.username === "string") this.usernamesSent.add(body.username);
  }

  /** Notes what a successful answer says was written, by RPC name. */
  noteSuccess(rpc: string, answer: unknown, target: { userId?: unknown }): void {
    const a = answer as {
      event?: { eventId?: string };
      results?: Array<{ event?: { eventId?: string } }>;
      user?: { username?: string; userId?: string };
    };
    if (rpc === "RecordEvent" && a.event?.eventId) this.acceptedEventIds.add(a.event.eventId);
    if (rpc === "RecordEvents") for (const r of a.results ?? []) if (r.event?.eventId) this.acceptedEventIds.add(r.event.eventId);
    if (rpc === "CreateUser" && a.user?.username) this.createdUsernames.add(a.user.username.toLowerCase());
    if (rpc === "UpdateUser" && typeof target.userId === "string") this.patchedUserIds.add(target.userId);
  }
}

/** Runs tasks with at most `n` in flight. */
/** A typed client of `service` at `address` (host:port) over gRPC, for calls by method local name. */
function grpcClient(service: DescService, address: string, options: { idleConnectionTimeoutMs?: number } = {}) {
  return createClient(service, createGrpcTransport({ baseUrl: `http://${address}`, defaultTimeoutMs: 20_000, ...options })) as unknown as Record<
    string,
    (message: unknown, options: { headers: Record<string, string> }) => Promise<unknown>
  >;
}

async function inPool(tasks: Array<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the fuzz test needs the mesh that \`npm test\` starts`);
  return value;
}

/** One REST route, from a google.api.http rule. */
interface RestRoute {
  readonly method: DescMethod;
  readonly verb: string;
  readonly template: string;
  readonly params: readonly string[];
  readonly hasBody: boolean;
}

function restRoutes(): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const [, service] of SERVICES) {
    for (const method of service.methods) {
      const rule = getOption(method, http);
      if (!rule || rule.pattern.case === undefined || rule.pattern.case === "custom") continue;
      const template = rule.pattern.value;
      const params = [...template.matchAll(/\{([a-z_.]+)\}/g)].map((m) => m[1]!);
      routes.push({ method, verb: rule.pattern.case.toUpperCase(), template, params, hasBody: rule.body !== "" });
    }
  }
  return routes;
}

/** The protobuf field of a path parameter, for its jsonName. */
function jsonNameOf(message: DescMessage, protoName: string): string {
  return message.fields.find((f) => f.name === protoName)?.jsonName ?? protoName;
}

/** A query string from a JSON object: repeated keys for arrays, dotted keys one level into objects. */
function queryString(body: Record<string, unknown>, loose: boolean): string {
  const enc = (v: string) => (loose ? looseEncode(v) : strictEncode(v));
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
    parts.push(`${enc(key)}=${enc(text)}`);
  };
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) for (const v of value.slice(0, 50)) add(key, v);
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
    else add(key, value);
  }
  return parts.join("&");
}

describe("fuzz: hostile requests to every REST route and every RPC", () => {
  let mesh: TestMesh;
  let restHost: string;
  let restPort: number;
  let engagementDb: pg.Pool;
  let userDb: pg.Pool;
  let alice: TestAccount;
  let bob: TestAccount;
  let startedAt: { engagement: Date; user: Date };
  let before: Map<string, { email: string; password_hash: string | null }>;
  /** Products the valid events spread over (a few events each, so the fuzz never makes one trend). */
  let spreadProducts: string[];
  const run = randomBytes(3).toString("hex");
  const ledger = new Ledger();

  const newAccount = (name: string): Promise<TestAccount> => signUp(`fz${run}_${name}`, "fuzz-account-password");

  async function accountRows(): Promise<Map<string, { email: string; password_hash: string | null }>> {
    const res = await userDb.query<{ user_id: string; email: string; password_hash: string | null }>(
      "SELECT user_id, email, password_hash FROM users WHERE user_id = ANY($1)",
      [[alice.userId, bob.userId]],
    );
    return new Map(res.rows.map((r) => [r.user_id, { email: r.email, password_hash: r.password_hash }]));
  }

  beforeAll(async () => {
    mesh = testMesh();
    const movies = await readFile(path.join(mesh.movieLensDir, "movies.csv"), "utf8");
    // Obscure movies from the middle of the catalog: the end-to-end suites click specific products
    // and check which ones trend, so the fuzz spreads its valid events thinly over others.
    spreadProducts = movies.split("\n").slice(5_001, 5_121).map((line) => line.split(",")[0]!).filter((id) => /^\d+$/.test(id));
    const url = new URL(mesh.restUrl);
    restHost = url.hostname;
    restPort = Number(url.port);
    engagementDb = new pg.Pool({ connectionString: need("RECSYS_TEST_ENGAGEMENT_DATABASE_URL"), max: 2 });
    userDb = new pg.Pool({ connectionString: need("RECSYS_TEST_USER_DATABASE_URL"), max: 2 });
    [alice, bob] = await Promise.all([newAccount("a"), newAccount("b")]);
    const now = async (db: pg.Pool) => (await db.query<{ now: Date }>("SELECT now() AS now")).rows[0]!.now;
    startedAt = { engagement: await now(engagementDb), user: await now(userDb) };
    before = await accountRows();
  });
  afterAll(async () => {
    await engagementDb?.end();
    await userDb?.end();
  });

  /**
   * The id pools: the only existing users the fuzz may name are its own two accounts, and none for
   * the {@link DESTRUCTIVE} RPCs.
   */
  const pools = (rpc = ""): IdPools => ({
    userIds: fc.oneof(
      { weight: 3, arbitrary: DESTRUCTIVE.has(rpc) ? fc.constant(`fz-nouser-${run}-gone`) : fc.constantFrom(alice.userId, bob.userId) },
      { weight: 1, arbitrary: fc.constant(`fz-nouser-${run}`) },
      { weight: 3, arbitrary: hostileString.filter((s) => !looksLikeForeignUserId(s)) },
    ),
    productIds: fc.oneof(fc.constantFrom(spreadProducts[0]!, spreadProducts[1]!, "99999999"), hostileString),
    eventIds: fc.oneof(
      { weight: 3, arbitrary: fc.nat().map((n) => `fz-${run}-${n}`) },
      { weight: 1, arbitrary: fc.constant("") },
      { weight: 2, arbitrary: hostileString },
    ),
    usernames: fc.oneof(
      fc.constantFrom(alice.username, alice.username.toUpperCase(), "movielens_1", "ab"),
      fc.nat().map((n) => `fz${run}_${n}`),
      hostileString,
    ),
  });

  const authHeader = (): fc.Arbitrary<Record<string, string>> =>
    fc.constantFrom<Record<string, string>>(
      {},
      { authorization: `Bearer ${testServiceToken()}` },
      { authorization: `Bearer ${testServiceToken()}` },
      { authorization: `Bearer ${alice.token}` },
      { authorization: `Bearer ${bob.token}` },
      { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0." },
      { authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}` },
      { authorization: `Bearer ${"A".repeat(9_000)}` },
    );

  /**
   * A valid request of a write RPC (proto3 JSON for REST, a typed init for gRPC) with credentials
   * that allow it, or undefined for other RPCs. "near" samples change one field of it to a hostile
   * value, so rejections happen with everything else valid, and "valid" ones make sure the checks
   * below compare real writes too.
   */
  function validBase(rpc: string, n: number, json: boolean): { body: Record<string, unknown>; auth: Record<string, string> } | undefined {
    const account = n % 2 === 0 ? alice : bob;
    const auth = n % 3 === 0 ? { authorization: `Bearer ${testServiceToken()}` } : { authorization: `Bearer ${account.token}` };
    const tag = `${json ? "r" : "g"}${n}`;
    const event = (k: number) => ({
      userId: account.userId,
      productId: spreadProducts[(n * 3 + k) % spreadProducts.length]!,
      // CLICK and VIEW weigh 1 in the trending score: a few of them never make a product trend.
      type: json ? (k % 2 === 0 ? "EVENT_TYPE_VIEW" : "EVENT_TYPE_CLICK") : k % 2 === 0 ? 2 : 1,
      eventId: `fz-${run}-v${tag}-${k}`,
    });
    switch (rpc) {
      case "RecordEvent":
        return { body: event(n), auth };
      case "RecordEvents":
        return { body: { events: [event(0), event(1), event(2)] }, auth };
      case "CreateUser":
        return { body: { username: `fz${run}_${tag}`, email: `fz${run}_${tag}@example.com`, password: "fuzz password 1" }, auth: {} };
      case "UpdateUser":
        return { body: { userId: account.userId, email: `fz${run}_${tag}@example.com` }, auth };
      default:
        return undefined;
    }
  }

  /** Replaces (or removes) the `pick`-th field of `base` with the hostile sample's value. */
  function mutate(base: Record<string, unknown>, hostile: Record<string, unknown>, pick: number): void {
    const keys = [...new Set([...Object.keys(base), ...Object.keys(hostile)])];
    const key = keys[pick % keys.length]!;
    if (key in hostile) base[key] = hostile[key];
    else delete base[key];
  }

  const mode = fc.constantFrom("hostile", "hostile", "near", "near", "valid");

  async function sendRaw(label: string, request: Buffer, allowNoAnswer = false): Promise<RawAnswer> {
    const t0 = performance.now();
    // Incomplete garbage may leave Envoy waiting for more bytes: no answer is fine there.
    const answer = await rawHttp(restHost, restPort, request, { localAddress: FUZZ_ADDRESS, timeoutMs: allowNoAnswer ? 3_000 : 20_000 });
    ledger.time(`${label} → ${answer.status}`, performance.now() - t0);
    ledger.count(`REST ${answer.status}`);
    if (answer.status >= 500 || (answer.status === 0 && !allowNoAnswer)) {
      ledger.failures.push(`${label} → ${answer.status}${answer.timedOut ? " (no answer in time)" : ""} ${answer.body.slice(0, 200)}`);
    }
    return answer;
  }

  it("answers every hostile request without a server error and writes nothing for rejected ones", async () => {
    const started = performance.now();
    const tasks: Array<() => Promise<void>> = [];

    // 1. Every REST route, with generated JSON bodies, path parameters and query strings.
    restRoutes().forEach((route, index) => {
      const arb = fc.record({
        body: jsonBody(route.method.input, pools(route.method.name)),
        // A destructive route's path names no existing account: its pool only (a product id or an
        // unfiltered hostile string could be a MovieLens user id).
        params: fc.tuple(
          ...route.params.map(() =>
            DESTRUCTIVE.has(route.method.name) ? pools(route.method.name).userIds : fc.oneof(pools().userIds, pools().productIds, hostileString),
          ),
        ),
        loose: fc.boolean(),
        auth: authHeader(),
        truncate: fc.option(fc.nat(), { freq: 6, nil: undefined }),
        mode,
        pick: fc.nat(),
      });
      const samples = fc.sample(arb, { seed: SEED + index, numRuns: EXPENSIVE.has(route.method.name) ? EXPENSIVE_PER_ROUTE : REST_PER_ROUTE });
      samples.forEach((sample, n) => {
        tasks.push(async () => {
          const base = sample.mode === "hostile" ? undefined : validBase(route.method.name, n, true);
          const body = base ? { ...base.body } : { ...sample.body };
          if (base && sample.mode === "near") mutate(body, sample.body, sample.pick);
          const auth = base ? base.auth : sample.auth;
          const truncate = base ? undefined : sample.truncate;
          let path = route.template;
          route.params.forEach((param, i) => {
            const value = base && param === "user_id" && typeof body.userId === "string" ? body.userId : (sample.params[i] as string);
            if (param === "user_id") body.userId = value;
            path = path.replace(`{${param}}`, sample.loose ? looseEncode(value) : strictEncode(value));
            if (param !== "user_id") delete body[jsonNameOf(route.method.input, param)];
          });
          const target = { userId: body.userId };
          if (!route.params.includes("user_id")) delete target.userId;
          let payload: string | undefined;
          if (route.hasBody) {
            const forBody = { ...body };
            if (route.params.includes("user_id")) delete forBody.userId;
            payload = JSON.stringify(forBody);
            if (truncate !== undefined && payload.length > 1) payload = payload.slice(0, truncate % payload.length);
            ledger.noteRequest(route.method.name, forBody);
          } else {
            const query = queryString(body, sample.loose);
            if (query) path += `?${query}`;
          }
          const headers = { ...auth, ...(payload === undefined ? {} : { "content-type": "application/json" }) };
          const answer = await sendRaw(`${route.verb} ${path.slice(0, 200)}`, httpRequest(route.verb, path, headers, payload));
          if (answer.status >= 200 && answer.status < 300) {
            try {
              ledger.noteSuccess(route.method.name, JSON.parse(answer.body), target);
            } catch {
              ledger.failures.push(`${route.verb} ${route.template}: 2xx without a JSON body`);
            }
          }
        });
      });
    });

    // 2. Hand-written hostile HTTP: broken JSON and encodings, wrong methods and types, traversal,
    //    oversized bodies, URLs and headers, and malformed protocol.
    const service = { authorization: `Bearer ${testServiceToken()}` };
    const json = { "content-type": "application/json" };
    const oversized = { events: Array.from({ length: 1000 }, () => ({ userId: "x".repeat(2000) })) };
    const tooMany = {
      events: Array.from({ length: 1001 }, (_, i) => ({ userId: alice.userId, productId: "1", type: "EVENT_TYPE_CLICK", eventId: `fz-${run}-over-${i}` })),
    };
    ledger.noteRequest("RecordEvents", oversized);
    ledger.noteRequest("RecordEvents", tooMany);
    const handWritten: Array<[string, Buffer, boolean?]> = [
      ["truncated JSON", httpRequest("POST", "/v1/events", { ...json, ...service }, '{"userId":"1","productId":')],
      ["JSON array body", httpRequest("POST", "/v1/events", { ...json, ...service }, "[1,2,3]")],
      ["JSON string body", httpRequest("POST", "/v1/users", json, '"hello"')],
      ["empty body", httpRequest("POST", "/v1/events:batch", { ...json, ...service }, "")],
      ["invalid UTF-8 body", httpRequest("POST", "/v1/users", json, Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xc0, 0xae, 0xff, 0x22, 0x7d]))],
      ["UTF-16 body", httpRequest("POST", "/v1/users", { "content-type": "application/json; charset=utf-16" }, Buffer.from('{"username":"x"}', "utf16le"))],
      ["text/plain body", httpRequest("POST", "/v1/events", { "content-type": "text/plain", ...service }, "userId=1&productId=1")],
      ["form body", httpRequest("POST", "/v1/sessions", { "content-type": "application/x-www-form-urlencoded" }, "username=a&password=b")],
      ["deeply nested JSON", httpRequest("POST", "/v1/users", json, `${"[".repeat(5_000)}${"]".repeat(5_000)}`)],
      ["5 MB body", httpRequest("POST", "/v1/users", json, JSON.stringify({ username: "a".repeat(5 * 1024 * 1024) }))],
      ["1000 bad events, 2 MB", httpRequest("POST", "/v1/events:batch", { ...json, ...service }, JSON.stringify(oversized))],
      ["1001 valid events", httpRequest("POST", "/v1/events:batch", { ...json, ...service }, JSON.stringify(tooMany))],
      ["duplicate keys", httpRequest("POST", "/v1/users", json, '{"username":"a","username":"b","email":"x@y.z","password":"12345678"}')],
      ["NaN literal", httpRequest("POST", "/v1/events", { ...json, ...service }, '{"userId":"1","productId":"1","type":"EVENT_TYPE_RATE","value":NaN}')],
      ["PUT on a GET route", httpRequest("PUT", "/v1/products/1", json, "{}")],
      ["DELETE another user", httpRequest("DELETE", `/v1/users/${alice.userId}`, { authorization: `Bearer ${bob.token}` })],
      ["OPTIONS", httpRequest("OPTIONS", "/v1/events")],
      ["TRACE", httpRequest("TRACE", "/v1/trending")],
      ["HEAD", httpRequest("HEAD", "/v1/trending"), true],
      ["unknown method", httpRequest("BREW", "/v1/trending")],
      ["raw traversal", httpRequest("GET", "/v1/products/../../../etc/passwd")],
      ["encoded traversal", httpRequest("GET", "/v1/products/%2e%2e%2f%2e%2e%2fetc%2fpasswd/similar")],
      ["double slashes", httpRequest("GET", "//v1//products//1")],
      ["bad escape", httpRequest("GET", "/v1/products/%zz/stats")],
      ["NUL escape", httpRequest("GET", "/v1/users/%00/recommendations")],
      ["overlong UTF-8 dot", httpRequest("GET", "/v1/products/%C0%AE%C0%AE/stats")],
      ["invalid UTF-8 in path", httpRequest("GET", "/v1/users/%FF%FE%FD/events")],
      ["invalid UTF-8 in query", httpRequest("GET", "/v1/trending?category=%FF%FE")],
      ["gRPC path over HTTP/1.1", httpRequest("POST", "/recsys.product.v1.ProductService/GetProduct", { "content-type": "application/grpc" }, "garbage")],
      ["reflection path", httpRequest("POST", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", { "content-type": "application/grpc" }, "x")],
      ["admin path", httpRequest("GET", "/stats")],
      ["absolute-form target", httpRequest("GET", "http://evil.example/v1/trending")],
      ["asterisk target", httpRequest("OPTIONS", "*")],
      ["100 KB URL", httpRequest("GET", `/v1/trending?category=${"a".repeat(100_000)}`)],
      ["70 KB header", httpRequest("GET", "/v1/trending", { authorization: `Bearer ${"A".repeat(70_000)}` })],
      ["header injection", httpRequest("GET", "/v1/trending", { "x-request-id": "a\u0001b" })],
      ["content-length shorter than body", httpRequest("POST", "/v1/users", { ...json, "content-length": "5" }, '{"username":"abc"}')],
      ["bad chunked body", httpRequest("POST", "/v1/users", { ...json, "transfer-encoding": "chunked" }, "zz\r\nhello\r\n0\r\n\r\n")],
      ["both content-length and chunked", httpRequest("POST", "/v1/users", { ...json, "content-length": "3", "transfer-encoding": "chunked" }, "3\r\nabc\r\n0\r\n\r\n")],
      ["garbage request line", Buffer.from("GARBAGE\r\n\r\n"), true],
      ["HTTP/0.9", Buffer.from("GET /v1/trending\r\n\r\n"), true],
      ["HTTP/1.0 without host", Buffer.from("GET /v1/trending HTTP/1.0\r\n\r\n")],
      ["binary noise", Buffer.from(fc.sample(fc.uint8Array({ minLength: 512, maxLength: 512 }), { seed: SEED, numRuns: 1 })[0]!), true],
    ];
    // Writes among them that must be refused (a 2xx would mean a malformed write got through).
    const mustRefuse = new Set(["truncated JSON", "JSON array body", "JSON string body", "empty body", "invalid UTF-8 body", "1001 valid events", "NaN literal", "DELETE another user"]);
    for (const [label, request, allowNoAnswer] of handWritten) {
      tasks.push(async () => {
        const answer = await sendRaw(label, request, allowNoAnswer);
        if (mustRefuse.has(label) && answer.status < 400) ledger.failures.push(`${label}: answered ${answer.status}, expected a refusal`);
        if (label === "1000 bad events, 2 MB" && answer.status === 200) {
          const body = JSON.parse(answer.body) as { acceptedCount: number; rejectedCount: number };
          if (body.acceptedCount !== 0 || body.rejectedCount !== 1000) ledger.failures.push(`${label}: ${answer.body.slice(0, 200)}`);
        }
      });
    }

    // 3. Every RPC over gRPC, straight to the services (no Envoy), with typed hostile messages.
    let methodIndex = 0;
    for (const [name, service] of SERVICES) {
      const client = grpcClient(service, mesh.grpc[name]);
      for (const method of service.methods) {
        methodIndex += 1;
        const arb = fc.record({ init: messageInit(method.input, pools(method.name)), auth: authHeader(), mode, pick: fc.nat() });
        const samples = fc.sample(arb, { seed: SEED + 1_000 + methodIndex, numRuns: EXPENSIVE.has(method.name) ? EXPENSIVE_PER_ROUTE : GRPC_PER_METHOD });
        samples.forEach((sample, n) => {
          tasks.push(async () => {
            const base = sample.mode === "hostile" ? undefined : validBase(method.name, n, false);
            const init = base ? { ...base.body } : sample.init;
            if (base && sample.mode === "near") mutate(init, sample.init, sample.pick);
            const auth = base ? base.auth : sample.auth;
            let message;
            try {
              message = create(method.input, init as never);
              toBinary(method.input, message);
            } catch {
              ledger.skipped += 1; // not encodable by the client library (e.g. a float32 out of range)
              return;
            }
            const size = toBinary(method.input, message).length;
            if (size > CLIENT_MAX_MESSAGE_BYTES) {
              ledger.skipped += 1;
              ledger.count("gRPC skipped (over 8 MiB)");
              return;
            }
            ledger.noteRequest(method.name, init);
            // An oversized message goes over a session of its own (closed once idle for 1 s) and must be refused
            // by the server's receive limit.
            const oversized = size > SERVER_MAX_MESSAGE_BYTES;
            const target = oversized ? grpcClient(service, mesh.grpc[name], { idleConnectionTimeoutMs: 1_000 }) : client;
            const t0 = performance.now();
            try {
              const answer = await target[method.localName]!(message, { headers: auth });
              if (oversized) ledger.failures.push(`${service.typeName}/${method.name}: a ${size}-byte message was answered OK over the 4 MiB limit`);
              ledger.time(`${method.name} OK`, performance.now() - t0);
              ledger.count("gRPC OK");
              ledger.noteSuccess(method.name, answer, init);
            } catch (err) {
              const error = ConnectError.from(err);
              ledger.count(`gRPC ${Code[error.code]}`);
              if (oversized && error.code !== Code.ResourceExhausted)
                ledger.failures.push(`${service.typeName}/${method.name}: a ${size}-byte message → ${Code[error.code]}, expected ResourceExhausted`);
              else if (SERVER_FAULTS.has(error.code)) ledger.failures.push(`${service.typeName}/${method.name} → ${Code[error.code]}: ${error.rawMessage}`);
            }
          });
        });
        // Bytes that are not (or not always) a valid message.
        const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 64 }), { seed: SEED + 2_000 + methodIndex, numRuns: GARBAGE_PER_METHOD });
        for (const bytes of garbage) {
          tasks.push(async () => {
            const raw = new grpc.Client(mesh.grpc[name], grpc.credentials.createInsecure());
            const code = await new Promise<number>((resolve) =>
              raw.makeUnaryRequest(
                `/${service.typeName}/${method.name}`,
                (b: Buffer) => b,
                (b: Buffer) => b,
                Buffer.from(bytes),
                { deadline: Date.now() + 20_000 },
                (err) => {
                  raw.close();
                  resolve(err ? err.code : 0);
                },
              ),
            );
            ledger.count(`gRPC raw ${Code[code] ?? code}`);
            if (SERVER_FAULTS.has(code as Code)) ledger.failures.push(`${service.typeName}/${method.name} raw bytes → ${Code[code]}`);
          });
        }
      }
    }

    // One message over the 4 MiB receive limit, on every service: refused with RESOURCE_EXHAUSTED, not a fault.
    for (const [name, service] of SERVICES) {
      const method = service.methods[0]!;
      tasks.push(async () => {
        const big = grpcClient(service, mesh.grpc[name], { idleConnectionTimeoutMs: 1_000 });
        // An unknown length-delimited field of 5 MiB: any message type carries it.
        const message = Object.assign(create(method.input), { $unknown: [{ no: 9_999, wireType: 2, data: new Uint8Array(5 * 1024 * 1024) }] });
        try {
          await big[method.localName]!(message, { headers: { authorization: `Bearer ${testServiceToken()}` } });
          ledger.failures.push(`${service.typeName}/${method.name}: a 5 MiB message was answered OK`);
        } catch (err) {
          const code = ConnectError.from(err).code;
          ledger.count(`gRPC 5 MiB ${Code[code]}`);
          if (code !== Code.ResourceExhausted) ledger.failures.push(`${service.typeName}/${method.name}: a 5 MiB message → ${Code[code]}, expected ResourceExhausted`);
        }
      });
    }

    // Shuffle with the seed so routes and RPCs interleave (concurrency between different handlers).
    const order = fc.sample(fc.shuffledSubarray(tasks.map((_, i) => i), { minLength: tasks.length, maxLength: tasks.length }), { seed: SEED, numRuns: 1 })[0]!;
    await inPool(
      order.map((i) => tasks[i]!),
      CONCURRENCY,
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `fuzz: ${ledger.requests} requests (${ledger.skipped} skipped) in ${seconds.toFixed(1)} s, seed ${SEED}: ${JSON.stringify(Object.fromEntries([...ledger.statuses].sort()))}`,
    );
    console.log(`fuzz: slowest ${JSON.stringify(ledger.slowest.map(([ms, l]) => [Math.round(ms), l.slice(0, 100)]))}`);
    expect(ledger.requests).toBeGreaterThan(2_000);
    // The write checks below compare real writes too, not only refusals.
    expect(ledger.acceptedEventIds.size).toBeGreaterThan(20);
    expect(ledger.createdUsernames.size).toBeGreaterThan(2);
    expect(ledger.failures, ledger.failures.slice(0, 15).join("\n")).toEqual([]);

    // No row written by a rejected request: the rows the fuzz could have written are exactly the accepted ones.
    // (PostgreSQL text cannot hold NUL, so no row can carry a value that has one.)
    const storable = (values: Iterable<string>) => [...values].filter((v) => !v.includes("\u0000"));
    const byId = await engagementDb.query<{ event_id: string }>("SELECT event_id FROM events WHERE event_id = ANY($1)", [
      storable([...ledger.eventIdsSent, ...ledger.acceptedEventIds]),
    ]);
    const byUser = await engagementDb.query<{ event_id: string }>("SELECT event_id FROM events WHERE user_id = ANY($1) AND accepted_at >= $2", [
      storable([...ledger.eventUserIdsSent, alice.userId, bob.userId]),
      startedAt.engagement,
    ]);
    const written = new Set([...byId.rows, ...byUser.rows].map((r) => r.event_id));
    expect([...written].filter((id) => !ledger.acceptedEventIds.has(id))).toEqual([]);
    expect([...ledger.acceptedEventIds].filter((id) => !written.has(id))).toEqual([]);

    const users = await userDb.query<{ username: string }>("SELECT username FROM users WHERE lower(username) = ANY($1) AND create_time >= $2", [
      storable(ledger.usernamesSent).map((u) => u.toLowerCase()),
      startedAt.user,
    ]);
    expect(users.rows.map((r) => r.username.toLowerCase()).filter((u) => !ledger.createdUsernames.has(u))).toEqual([]);
    const after = await accountRows();
    for (const account of [alice, bob]) {
      if (!ledger.patchedUserIds.has(account.userId)) expect(after.get(account.userId), account.username).toEqual(before.get(account.userId));
    }
    console.log(
      `fuzz writes: ${ledger.acceptedEventIds.size} events and ${ledger.createdUsernames.size} users accepted, ${ledger.patchedUserIds.size} accounts updated; ${ledger.eventIdsSent.size} event ids sent`,
    );
  }, 180_000);

  it("leaves every service healthy and serving", async () => {
    for (const [name, service] of SERVICES) expect(await isServing(mesh.grpc[name], service.typeName, 5_000), name).toBe(true);
    expect((await rest("GET", "/v1/products/1")).status).toBe(200);
    const event = { userId: alice.userId, productId: spreadProducts[2]!, type: "EVENT_TYPE_VIEW", eventId: `fz-${run}-after` };
    const recorded = await rest<{ duplicate: boolean }>("POST", "/v1/events", event, { authorization: `Bearer ${alice.token}` });
    expect(recorded.status).toBe(200);
    expect(recorded.body.duplicate).toBe(false);
  });
});
