/**
 * The pure part of the operator view: the shapes of `GET /v1/operator/status` and
 * `GET /v1/operator/click-through-rates` as the page uses them (proto3 JSON turned into numbers,
 * absent fields made explicit), and the wording of ages, rates and failures. No DOM, no fetch:
 * unit-tested beside it.
 */

/** How often the operator view asks both routes again, in ms ("every few seconds"). */
export const OPERATOR_POLL_MS = 3_000;

/** The click-through window the operator view shows, in seconds (the last hour). */
export const CTR_WINDOW_SECONDS = 3_600;

/** The served NeuMF model: its version, offline metrics of its last validation epoch, and age. */
export interface ServedModel {
  readonly version: string;
  /** Offline HR@10 in [0, 1]; undefined when it was trained without validation. */
  readonly hrAt10: number | undefined;
  /** Offline NDCG@10 in [0, 1]; undefined when it was trained without validation. */
  readonly ndcgAt10: number | undefined;
  /** Users behind the metrics (0 without validation). */
  readonly validationUsers: number;
  /** Seconds since the artifact was written. */
  readonly ageSeconds: number;
}

/** One recent problem of the serving side (newest first in {@link ServingStatus.recentErrors}). */
export interface RecentError {
  /** When it was last noticed, RFC 3339 ("" if the server sent none). */
  readonly time: string;
  readonly source: string;
  readonly message: string;
  /** Times in a row it was noticed. */
  readonly count: number;
}

/**
 * The serving side's status (RecommendationService.GetServingStatus). A figure is undefined when
 * its source did not answer in time (the server then lists that source in `recentErrors`).
 */
export interface ServingStatus {
  /** Undefined while no model is served. */
  readonly model: ServedModel | undefined;
  readonly unavailableSignals: readonly string[];
  /** Events accepted per second over the last minute. */
  readonly eventsPerSecond: number | undefined;
  /** Outbox rows not yet in Kafka. */
  readonly outboxPendingRows: number | undefined;
  /** Age of the oldest unpublished outbox row, in seconds. */
  readonly outboxOldestRowAgeSeconds: number | undefined;
  /** The trending consumer group's lag, in messages, summed over partitions. */
  readonly consumerLagMessages: number | undefined;
  readonly recentErrors: readonly RecentError[];
}

/** The list types of click-through, in the order the page shows them. */
export type ListKind = "for-you" | "similar" | "trending";

/** One list type's click-through over the window (EngagementService.GetClickThroughRates). */
export interface ListClickThrough {
  readonly kind: ListKind;
  /** Display name: "For you", "Similar items", "Trending". */
  readonly label: string;
  readonly listsShown: number;
  readonly itemsShown: number;
  readonly attributedClicks: number;
  /** attributedClicks / itemsShown, in [0, 1] (0 when nothing was shown). */
  readonly rate: number;
}

const LIST_KINDS: readonly (readonly [ListKind, string, string])[] = [
  ["for-you", "LIST_TYPE_FOR_YOU", "For you"],
  ["similar", "LIST_TYPE_SIMILAR", "Similar items"],
  ["trending", "LIST_TYPE_TRENDING", "Trending"],
];

type Json = Record<string, unknown>;

/** A proto3 JSON number (int64 comes as a string); undefined when absent or not a number. */
function num(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null ? (value as Json) : {};
}

/**
 * Reads the JSON of `GET /v1/operator/status`. Optional figures stay undefined when absent;
 * proto3 JSON leaves out zeros of plain fields, which are read as 0.
 */
export function parseServingStatus(json: unknown): ServingStatus {
  const o = obj(json);
  const m = o.model === undefined ? undefined : obj(o.model);
  return {
    model:
      m === undefined
        ? undefined
        : { version: String(m.version ?? ""), hrAt10: num(m.hrAt10), ndcgAt10: num(m.ndcgAt10), validationUsers: num(m.validationUsers) ?? 0, ageSeconds: num(m.ageSeconds) ?? 0 },
    unavailableSignals: Array.isArray(o.unavailableSignals) ? o.unavailableSignals.map(String) : [],
    eventsPerSecond: num(o.eventsPerSecond),
    outboxPendingRows: num(o.outboxPendingRows),
    outboxOldestRowAgeSeconds: num(o.outboxOldestRowAgeSeconds),
    consumerLagMessages: num(o.consumerLagMessages),
    recentErrors: Array.isArray(o.recentErrors)
      ? o.recentErrors.map((e) => {
          const r = obj(e);
          return { time: String(r.time ?? ""), source: String(r.source ?? ""), message: String(r.message ?? ""), count: num(r.count) ?? 1 };
        })
      : [],
  };
}

/**
 * Reads the JSON of `GET /v1/operator/click-through-rates`: always the three list types, in the
 * order for you, similar, trending, with zeros for a type the answer leaves out.
 */
export function parseClickThroughRates(json: unknown): readonly ListClickThrough[] {
  const rates = obj(json).rates;
  const list = Array.isArray(rates) ? rates.map(obj) : [];
  return LIST_KINDS.map(([kind, listType, label]) => {
    const r = list.find((x) => x.listType === listType) ?? {};
    return { kind, label, listsShown: num(r.listsShown) ?? 0, itemsShown: num(r.itemsShown) ?? 0, attributedClicks: num(r.attributedClicks) ?? 0, rate: num(r.clickThroughRate) ?? 0 };
  });
}

/**
 * A duration for people: "42 s", "5 min", "3 h 10 min", "2 d 4 h".
 *
 * @param seconds - the duration, in seconds (negative is read as 0).
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** A rate in [0, 1] as a percentage with two decimals ("3.25 %"). */
export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(2)} %`;
}

/**
 * "updated 4 s ago" for the time of the last answer, or "not updated yet".
 *
 * @param updatedAt - epoch ms of the last answer, undefined before the first.
 * @param now - epoch ms now.
 */
export function updatedAgo(updatedAt: number | undefined, now: number): string {
  if (updatedAt === undefined) return "not updated yet";
  return `updated ${Math.max(0, Math.round((now - updatedAt) / 1000))} s ago`;
}

/**
 * Whether a failure means the token is wrong (401, 403), so that polling again cannot help until
 * the operator pastes another one.
 */
export function isTokenFailure(status: number): boolean {
  return status === 401 || status === 403;
}

/**
 * The message shown for a failed operator call, naming what failed and what to do.
 *
 * @param what - what was asked, e.g. "Serving status".
 * @param route - the REST route, e.g. "GET /v1/operator/status".
 * @param status - the HTTP status (0 when no answer came).
 * @param message - the server's message.
 */
export function describeFailure(what: string, route: string, status: number, message: string): string {
  switch (status) {
    case 401:
      return `${what} (${route}) refused the token: 401 unauthenticated. It is not a valid token; paste the mesh's service token (SERVICE_TOKEN).`;
    case 403:
      return `${what} (${route}) refused the token: 403 permission denied. It is a user's token; the operator routes need the service token (SERVICE_TOKEN).`;
    case 503:
      return `${what} (${route}) is unavailable right now: 503 ${message}. Retrying every ${OPERATOR_POLL_MS / 1000} s.`;
    case 0:
      return `${what} (${route}): the server could not be reached. Retrying every ${OPERATOR_POLL_MS / 1000} s.`;
    default:
      return `${what} (${route}) failed: ${status} ${message}.`;
  }
}
