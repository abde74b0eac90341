import { readFileSync } from "node:fs";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { parse } from "csv-parse/sync";
import {
  EngagementService,
  RecordEventRequestSchema,
  type RecordEventRequest,
} from "../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventType } from "../../gen/recsys/engagement/v1/event_pb.js";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { RecommendationService } from "../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { UserService } from "../../gen/recsys/user/v1/user_service_pb.js";

/** One event a test sends, with its client-chosen event_id (the idempotency key). */
export interface PlannedEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly productId: string;
  readonly type: EventType;
  /** The rating for RATE (4), else 0. */
  readonly value: number;
}

/** The stats field name of each event type (as `RedisTrendingStore.stats` reports counts). */
export const TYPE_FIELD: Readonly<Record<number, "click" | "view" | "like" | "dislike" | "rate">> = {
  [EventType.CLICK]: "click",
  [EventType.VIEW]: "view",
  [EventType.LIKE]: "like",
  [EventType.DISLIKE]: "dislike",
  [EventType.RATE]: "rate",
};

/** Per-type counts of one product, keyed like {@link TYPE_FIELD}'s values. */
export type TypeCounts = Record<"click" | "view" | "like" | "dislike" | "rate", number>;

/** A zeroed {@link TypeCounts}. */
export function zeroCounts(): TypeCounts {
  return { click: 0, view: 0, like: 0, dislike: 0, rate: 0 };
}

/** Users and products of a MovieLens directory that the mesh imported. */
export interface MeshCatalog {
  /** User ids that exist (every distinct userId of ratings.csv). */
  readonly users: readonly string[];
  /** Product ids that exist (every movieId of movies.csv). */
  readonly products: readonly string[];
}

/**
 * Reads the users and products a MovieLens directory defines.
 *
 * @param dir - the directory the mesh imported (`mesh.imported.dir`).
 */
export function readCatalog(dir: string): MeshCatalog {
  const movies = parse(readFileSync(path.join(dir, "movies.csv")), { columns: true }) as { movieId: string }[];
  const ratings = parse(readFileSync(path.join(dir, "ratings.csv")), { columns: true }) as { userId: string }[];
  return { users: [...new Set(ratings.map((r) => r.userId))], products: movies.map((m) => m.movieId) };
}

const TYPES = [EventType.CLICK, EventType.VIEW, EventType.LIKE, EventType.DISLIKE, EventType.RATE] as const;

/**
 * Plans `count` events with ids `<prefix>-<i>`, spread deterministically over the given users,
 * products and all five types.
 *
 * @param prefix - event id prefix (letters, digits, '-'), unique per test.
 * @param count - number of events.
 * @param users - user ids to use.
 * @param products - product ids to use.
 */
export function planEvents(prefix: string, count: number, users: readonly string[], products: readonly string[]): PlannedEvent[] {
  return Array.from({ length: count }, (_, i) => {
    // Product i mod P; each product cycles through the five types; users rotate independently.
    const type = TYPES[Math.floor(i / products.length) % TYPES.length]!;
    return {
      eventId: `${prefix}-${i}`,
      userId: users[(i * 7) % users.length]!,
      productId: products[i % products.length]!,
      type,
      value: type === EventType.RATE ? 4 : 0,
    };
  });
}

/**
 * The counts the statistics must show for a set of events, each counted once.
 *
 * @param events - the events (each event_id once).
 * @returns product id → per-type counts.
 */
export function expectedCounts(events: readonly PlannedEvent[]): Map<string, TypeCounts> {
  const out = new Map<string, TypeCounts>();
  for (const e of events) {
    let c = out.get(e.productId);
    if (!c) out.set(e.productId, (c = zeroCounts()));
    c[TYPE_FIELD[e.type]!] += 1;
  }
  return out;
}

/** What happened to one RecordEvent call. */
export interface Outcome {
  readonly eventId: string;
  /** "OK" or the gRPC code's name (for example "UNAVAILABLE", "DEADLINE_EXCEEDED"). */
  readonly code: string;
  /** The error message, when the call failed. */
  readonly message?: string;
  /** Whether the service answered `duplicate = true`. */
  readonly duplicate?: boolean;
  /** When the call started, in ms since the epoch. */
  readonly startedAt: number;
  /** How long it took, in ms. */
  readonly ms: number;
}

/** gRPC code names as tests print them ("UNAVAILABLE"), from connect-es' `Code` enum. */
export function codeName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Creates gRPC clients (connect-es over HTTP/2) of the four services that go through Envoy, as
 * external callers do, so a service that is down is answered by Envoy (UNAVAILABLE) and other
 * replicas are tried; given one service's own address instead, its client reaches it directly.
 *
 * @param baseUrl - Envoy's URL, `http://127.0.0.1:<port>` (or a service's `http://host:port`).
 * @param headers - headers sent with every call (for example an authorization token).
 */
export function meshClients(
  baseUrl: string,
  headers: Readonly<Record<string, string>> = {},
): {
  engagement: Client<typeof EngagementService>;
  recommendation: Client<typeof RecommendationService>;
  product: Client<typeof ProductService>;
  user: Client<typeof UserService>;
} {
  const transport = createGrpcTransport({
    baseUrl,
    interceptors: [
      (next) => async (req) => {
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      },
    ],
  });
  return {
    engagement: createClient(EngagementService, transport),
    recommendation: createClient(RecommendationService, transport),
    product: createClient(ProductService, transport),
    user: createClient(UserService, transport),
  };
}

/** Options of {@link recordAll}. */
export interface RecordAllOptions {
  /** Calls in flight at once (default 8). */
  readonly concurrency?: number;
  /** Most calls started per second overall (default: as fast as the concurrency allows). */
  readonly ratePerSecond?: number;
  /** Deadline of each call, in ms (default 5000): a call never hangs longer. */
  readonly timeoutMs?: number;
  /** Called after each call (for example to trigger a fault after n events). */
  readonly onOutcome?: (outcome: Outcome, done: number) => void;
}

function toRequest(e: PlannedEvent): RecordEventRequest {
  return create(RecordEventRequestSchema, { eventId: e.eventId, userId: e.userId, productId: e.productId, type: e.type, value: e.value });
}

/**
 * Sends events with RecordEvent, each once, with a deadline, at most `concurrency` at a time and
 * at most `ratePerSecond`, and records every outcome (never throws for a failed call).
 *
 * @param client - an EngagementService client.
 * @param events - the events.
 * @param options - concurrency, rate, deadline, callback.
 * @returns one outcome per event, in the order of `events`.
 */
export async function recordAll(
  client: Client<typeof EngagementService>,
  events: readonly PlannedEvent[],
  options: RecordAllOptions = {},
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(events.length);
  const concurrency = options.concurrency ?? 8;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= events.length) return;
      if (options.ratePerSecond) {
        const due = started + (i * 1000) / options.ratePerSecond;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const e = events[i]!;
      const t = Date.now();
      let outcome: Outcome;
      try {
        const res = await client.recordEvent(toRequest(e), { timeoutMs });
        outcome = { eventId: e.eventId, code: "OK", duplicate: res.duplicate, startedAt: t, ms: Date.now() - t };
      } catch (err) {
        const ce = ConnectError.from(err);
        outcome = { eventId: e.eventId, code: codeName(ce.code), message: ce.rawMessage, startedAt: t, ms: Date.now() - t };
      }
      outcomes[i] = outcome;
      done += 1;
      options.onOutcome?.(outcome, done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

/**
 * Sends the events that were not accepted again, with the same event_ids (the idempotency keys), until
 * every one is accepted: the client's retry after a fault. An event that had been stored although its
 * first call failed comes back `duplicate = true` and is not stored twice.
 *
 * @param client - an EngagementService client.
 * @param events - all events of the test.
 * @param outcomes - their first outcomes.
 * @param deadlineMs - how long to keep retrying, in ms (default 60000).
 * @returns the outcomes of the retries that finally succeeded.
 * @throws Error when an event is still not accepted at the deadline, or fails with a code other than
 *   UNAVAILABLE / DEADLINE_EXCEEDED.
 */
export async function retryUntilAccepted(
  client: Client<typeof EngagementService>,
  events: readonly PlannedEvent[],
  outcomes: readonly Outcome[],
  deadlineMs = 60_000,
): Promise<Outcome[]> {
  const accepted = new Set(outcomes.filter((o) => o.code === "OK").map((o) => o.eventId));
  let pending = events.filter((e) => !accepted.has(e.eventId));
  const results: Outcome[] = [];
  const deadline = Date.now() + deadlineMs;
  while (pending.length > 0) {
    const round = await recordAll(client, pending, { concurrency: 8 });
    const bad = round.filter((o) => o.code !== "OK" && o.code !== "UNAVAILABLE" && o.code !== "DEADLINE_EXCEEDED");
    if (bad.length > 0) throw new Error(`retries failed: ${JSON.stringify(bad.slice(0, 3))}`);
    results.push(...round.filter((o) => o.code === "OK"));
    const ok = new Set(round.filter((o) => o.code === "OK").map((o) => o.eventId));
    pending = pending.filter((e) => !ok.has(e.eventId));
    if (pending.length > 0) {
      if (Date.now() > deadline) throw new Error(`${pending.length} events still not accepted after ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return results;
}

/** Outcome counts by code, and the slowest call. */
export function summarize(outcomes: readonly Outcome[]): { byCode: Record<string, number>; maxMs: number } {
  const byCode: Record<string, number> = {};
  let maxMs = 0;
  for (const o of outcomes) {
    byCode[o.code] = (byCode[o.code] ?? 0) + 1;
    maxMs = Math.max(maxMs, o.ms);
  }
  return { byCode, maxMs };
}
