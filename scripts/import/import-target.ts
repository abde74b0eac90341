import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EngagementService, RecordEventRequestSchema, type RecordEventRequest } from "../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductSchema, ProductService, UpsertOutcome, type Product } from "../../gen/recsys/product/v1/product_service_pb.js";
import { ImportUserOutcome, ImportUserSchema, UserService, type ImportUser } from "../../gen/recsys/user/v1/user_service_pb.js";
import { eventTypeOf, type EngagementKind } from "../../services/shared/src/event-kinds.js";
import { REPO_ROOT } from "../infra/paths.js";
import type { ImportKind, MappedRow, MoneyValue } from "./field-mapping.js";

/** The gRPC address of each kind's service in a local mesh (`npm start`). */
export const DEFAULT_TARGETS: Readonly<Record<ImportKind, string>> = {
  products: "127.0.0.1:50052",
  users: "127.0.0.1:50053",
  events: "127.0.0.1:50054",
};

/** Most rows one batch RPC takes (BatchUpsertProducts, BatchImportUsers, RecordEvents). */
export const MAX_BATCH_SIZE = 1000;

/** The outcome of one row sent: stored now, already stored identically, or refused (and why). */
export type RowOutcome =
  | { readonly kind: "created" | "updated" | "unchanged" }
  | { readonly kind: "rejected"; readonly field?: string; readonly message: string };

/** Sends batches of one kind's messages to its service. */
export interface BatchSender {
  /** Where the calls go, as given (`host:port` or a URL). */
  readonly target: string;
  /**
   * Sends one batch of 1 to {@link MAX_BATCH_SIZE} rows.
   *
   * @param rows - the mapped rows, in file order.
   * @returns one outcome per row, in order.
   * @throws ConnectError from the call: UNAVAILABLE (target down), DEADLINE_EXCEEDED (no answer
   *   within the deadline), UNAUTHENTICATED / PERMISSION_DENIED (token), INVALID_ARGUMENT for the
   *   whole batch.
   */
  send(rows: readonly MappedRow[]): Promise<RowOutcome[]>;
}

/** Options of {@link createBatchSender}. */
export interface BatchSenderOptions {
  /** `host:port` of a gRPC server (the service itself, or Envoy, which routes the public RPCs), or an `http://` / `https://` base URL. */
  readonly target: string;
  /** The service token, sent as `authorization: Bearer <token>`. */
  readonly token: string;
  /** Deadline of each call, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * The service token of an import: `--token`, else `SERVICE_TOKEN`, else the `SERVICE_TOKEN` line of
 * the development secrets file that `npm start` writes (`.run/secrets.env`, scripts/dev-secrets.ts).
 *
 * @param flag - the `--token` value, if any.
 * @param env - the environment.
 * @param secretsFile - the development secrets file.
 * @returns the token.
 * @throws Error saying where a token can come from when none is found.
 */
export function resolveToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  secretsFile = path.join(REPO_ROOT, ".run", "secrets.env"),
): string {
  if (flag) return flag;
  if (env.SERVICE_TOKEN) return env.SERVICE_TOKEN;
  if (existsSync(secretsFile)) {
    const token = parseEnv(readFileSync(secretsFile, "utf8")).SERVICE_TOKEN;
    if (token) return token;
  }
  throw new Error(`no service token: pass --token, set SERVICE_TOKEN, or start the local mesh (npm start writes ${secretsFile})`);
}

/**
 * Creates the sender of one kind: BatchUpsertProducts (ProductService), BatchImportUsers
 * (UserService) or RecordEvents (EngagementService), over gRPC (connect-node, HTTP/2) with a deadline
 * on every call, so a target that is down answers UNAVAILABLE at once and a silent one
 * DEADLINE_EXCEEDED after `timeoutMs`, never a hang.
 *
 * @param kind - the kind sent.
 * @param options - target, token and deadline.
 */
export function createBatchSender(kind: ImportKind, options: BatchSenderOptions): BatchSender {
  const baseUrl = /^https?:\/\//.test(options.target) ? options.target : `http://${options.target}`;
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${options.token}`);
    return next(req);
  };
  const transport = createGrpcTransport({ baseUrl, defaultTimeoutMs: options.timeoutMs, interceptors: [auth] });
  const target = options.target;
  if (kind === "products") {
    const client = createClient(ProductService, transport);
    return {
      target,
      async send(rows) {
        const res = await client.batchUpsertProducts({ products: rows.map(toProduct) });
        return checkCount(res.results, rows.length).map((r) => {
          if ((r.status?.code ?? 0) !== 0) return rejected(r.status!.message, "products");
          if (r.outcome === UpsertOutcome.CREATED) return { kind: "created" };
          if (r.outcome === UpsertOutcome.UPDATED) return { kind: "updated" };
          return { kind: "unchanged" };
        });
      },
    };
  }
  if (kind === "users") {
    const client = createClient(UserService, transport);
    return {
      target,
      async send(rows) {
        const res = await client.batchImportUsers({ users: rows.map(toImportUser) });
        return checkCount(res.results, rows.length).map((r) => {
          if ((r.status?.code ?? 0) !== 0) return rejected(r.status!.message, "users");
          return { kind: r.outcome === ImportUserOutcome.CREATED ? "created" : "unchanged" };
        });
      },
    };
  }
  const client = createClient(EngagementService, transport);
  return {
    target,
    async send(rows) {
      const res = await client.recordEvents({ events: rows.map(toRecordEvent) });
      return checkCount(res.results, rows.length).map((r) => {
        if (r.error && r.error.code !== 0) return rejected(r.error.message, "events");
        return { kind: r.duplicate ? "unchanged" : "created" };
      });
    },
  };
}

function checkCount<T>(results: T[], expected: number): T[] {
  if (results.length !== expected) throw new ConnectError(`the service answered ${results.length} results for ${expected} rows`, Code.Internal);
  return results;
}

/**
 * A rejection, with the field taken out of a message like "products[3].title: is required" (or
 * "title: …"), or named for a NOT_FOUND of the user or product an event refers to ('user "7" not found').
 */
function rejected(message: string, list: string): RowOutcome {
  const missing = /^(user|product) "[^"]*" not found$/.exec(message);
  if (missing) return { kind: "rejected", field: `${missing[1]}_id`, message };
  const match = new RegExp(`^(?:${list}\\[\\d+\\]\\.)?([a-z_][a-z0-9_.\\[\\]]*): (.*)$`, "s").exec(message);
  return match ? { kind: "rejected", field: match[1]!, message: match[2]! } : { kind: "rejected", message };
}

function text(row: MappedRow, field: string): string {
  const v = row.fields[field];
  return v === undefined ? "" : String(v);
}

/**
 * The Product message of a mapped products row (every field set from the row; absent ones empty).
 *
 * @param row - a mapped products row.
 */
export function toProduct(row: MappedRow): Product {
  const price = row.fields.price as MoneyValue | undefined;
  return create(ProductSchema, {
    productId: text(row, "product_id"),
    title: text(row, "title"),
    year: (row.fields.year as number | undefined) ?? 0,
    categories: [...((row.fields.categories as readonly string[] | undefined) ?? [])],
    tags: [...((row.fields.tags as readonly string[] | undefined) ?? [])],
    description: text(row, "description"),
    imdbId: text(row, "imdb_id"),
    tmdbId: text(row, "tmdb_id"),
    ...(price ? { price: { currencyCode: price.currencyCode, units: price.units, nanos: price.nanos } } : {}),
    imageUrl: text(row, "image_url"),
    attributes: { ...row.attributes },
  });
}

/**
 * The ImportUser message of a mapped users row.
 *
 * @param row - a mapped users row.
 */
export function toImportUser(row: MappedRow): ImportUser {
  return create(ImportUserSchema, { userId: text(row, "user_id"), username: text(row, "username"), email: text(row, "email") });
}

/**
 * The RecordEventRequest of a mapped events row. Without an `event_id` in the row, the event id is
 * derived from the row's content ({@link derivedEventId}), so importing the same file again records
 * nothing new.
 *
 * @param row - a mapped events row.
 */
export function toRecordEvent(row: MappedRow): RecordEventRequest {
  const kind = row.fields.type as EngagementKind | undefined;
  const occur = row.fields.occur_time as Date | undefined;
  return create(RecordEventRequestSchema, {
    userId: text(row, "user_id"),
    productId: text(row, "product_id"),
    type: kind ? eventTypeOf(kind) : 0,
    value: (row.fields.value as number | undefined) ?? 0,
    eventId: text(row, "event_id") || derivedEventId(row),
    ...(occur ? { occurTime: timestampFromDate(occur) } : {}),
  });
}

/**
 * A deterministic event id for a row without one: `imp:` and the first 24 bytes (base64url, 32
 * characters) of SHA-256 over the user, product, type, value and time (ms) of the row. Two rows alike
 * in all five are one event.
 *
 * @param row - a mapped events row.
 */
export function derivedEventId(row: MappedRow): string {
  const occur = row.fields.occur_time as Date | undefined;
  const key = JSON.stringify([text(row, "user_id"), text(row, "product_id"), text(row, "type"), row.fields.value ?? 0, occur?.getTime() ?? null]);
  return `imp:${createHash("sha256").update(key).digest().subarray(0, 24).toString("base64url")}`;
}
