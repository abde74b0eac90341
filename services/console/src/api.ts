/**
 * The console's client of the REST API (Envoy's gRPC-JSON transcoder, same origin): typed `fetch`
 * calls of the routes in gen/openapi/openapi.json. JSON is proto3 JSON (lowerCamelCase); errors are
 * `{"code": N, "message": "…"}` and surface as {@link ApiError}.
 */

/** A failed API call: the HTTP status and the message of the `{"code", "message"}` body. */
export class ApiError extends Error {
  /**
   * @param status - the HTTP status (400, 401, 403, 404, 409, 429, 503, …; 0 when no answer came).
   * @param message - the server's message, naming the field for a 400.
   */
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** An account, as UserService returns it. */
export interface User {
  readonly userId: string;
  readonly username: string;
  readonly email?: string;
}

/** A signed-in user: the account and its bearer token (an HS256 JWT, lifetime about an hour). */
export interface Session {
  readonly user: User;
  readonly accessToken: string;
  /** When the token expires, RFC 3339. */
  readonly expireTime: string;
}

/** A catalog product (the fields the console shows). */
export interface Product {
  readonly productId: string;
  readonly title: string;
  readonly year?: number;
  readonly categories: readonly string[];
  readonly tags?: readonly string[];
  readonly description?: string;
  readonly imageUrl?: string;
}

/** One category and how many live products it has. */
export interface Category {
  readonly name: string;
  readonly productCount: number;
}

/** Per-signal scores of a recommended item, each normalised to [0, 1] over the candidate set. */
export interface SignalScores {
  readonly collaborative: number;
  readonly content: number;
  readonly trending: number;
  readonly popularity: number;
}

/** One ranked item with its final score in [0, 1], its signals and a short human reason. */
export interface RecommendedItem {
  readonly productId: string;
  readonly title: string;
  readonly score: number;
  readonly signals: SignalScores;
  readonly reason: string;
  readonly categories: readonly string[];
}

/** A user's recommendations and how they were made. */
export interface Recommendations {
  readonly items: readonly RecommendedItem[];
  /** "personalized", or "cold_start" for a user without history (popularity and trending). */
  readonly strategy: string;
  /** Signals that could not be used for this answer (their scores are 0). */
  readonly unavailableSignals: readonly string[];
  /** The answer's list id (a UUID; "" from a server that has none): events on its items send it back. */
  readonly recommendationId: string;
}

/**
 * One list answer of GetSimilarProducts or GetTrending: its items in order and its
 * `recommendationId` (a UUID, new for each answer; "" when the server sent none), which events on
 * those items send back so that their clicks are attributed to the list (click-through).
 */
export interface RankedList<T> {
  readonly items: readonly T[];
  readonly recommendationId: string;
}

/** One trending product: its decayed weighted event count. */
export interface TrendingItem {
  readonly productId: string;
  readonly title: string;
  readonly score: number;
  readonly categories: readonly string[];
}

/**
 * The per-request blend of GetRecommendations, each in [0, 1]: `relevance + trending = 1` and
 * `collaborative + content = 1` (the service refuses other sums with 400).
 */
export interface BlendWeights {
  readonly relevance: number;
  readonly trending: number;
  readonly collaborative: number;
  readonly content: number;
}

/** The service's default blend (DESIGN.md, "Scoring contract"). */
export const DEFAULT_WEIGHTS: BlendWeights = { relevance: 0.8, trending: 0.2, collaborative: 0.6, content: 0.4 };

/** Engagement event types, as the REST API spells them. */
export type EventType = "EVENT_TYPE_CLICK" | "EVENT_TYPE_VIEW" | "EVENT_TYPE_LIKE" | "EVENT_TYPE_DISLIKE" | "EVENT_TYPE_RATE";

/**
 * Calls one route and parses its JSON answer.
 *
 * @param path - path and query, from the origin (`/v1/…`).
 * @param init - method, body (serialised as JSON) and bearer token.
 * @throws ApiError for a non-2xx answer (its JSON message) or a network failure (status 0).
 */
async function call<T>(path: string, init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "the server could not be reached");
  }
  const text = await res.text();
  const json: unknown = text === "" ? {} : safeParse(text);
  if (!res.ok) {
    const message = typeof json === "object" && json !== null && "message" in json ? String((json as { message: unknown }).message) : res.statusText;
    throw new ApiError(res.status, message || `HTTP ${res.status}`);
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** Builds a query string from the defined entries (arrays repeat the key). */
function query(params: Record<string, string | number | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === "") continue;
    if (Array.isArray(value)) for (const v of value) q.append(key, String(v));
    else q.set(key, String(value));
  }
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}

/**
 * Creates an account (`POST /v1/users`).
 *
 * @throws ApiError 400 naming the invalid field, 409 when the username or email is taken.
 */
export function register(username: string, email: string, password: string): Promise<{ user: User }> {
  return call("/v1/users", { method: "POST", body: { username, email, password } });
}

/**
 * Signs in (`POST /v1/sessions`).
 *
 * @throws ApiError 401 for a wrong username or password, 429 after too many attempts.
 */
export function login(username: string, password: string): Promise<Session> {
  return call("/v1/sessions", { method: "POST", body: { username, password } });
}

/** The categories with their product counts (`GET /v1/categories`). */
export async function listCategories(): Promise<readonly Category[]> {
  return (await call<{ categories?: Category[] }>("/v1/categories")).categories ?? [];
}

/** One page of the catalog (`GET /v1/products`): `query` searches title, tags, categories and description. */
export async function listProducts(params: { category?: string; query?: string; pageSize?: number; pageToken?: string }): Promise<{ products: readonly Product[]; nextPageToken: string; totalSize: number }> {
  const res = await call<{ products?: Product[]; nextPageToken?: string; totalSize?: number }>(`/v1/products${query({ ...params })}`);
  return { products: res.products ?? [], nextPageToken: res.nextPageToken ?? "", totalSize: res.totalSize ?? 0 };
}

/**
 * One product (`GET /v1/products/{id}`).
 *
 * @throws ApiError 404 when there is no live product with that id.
 */
export async function getProduct(productId: string): Promise<Product> {
  return (await call<{ product: Product }>(`/v1/products/${encodeURIComponent(productId)}`)).product;
}

/** The products most similar to one (`GET /v1/products/{id}/similar`), most similar first, with the list's id. */
export async function getSimilar(productId: string, limit = 8): Promise<RankedList<RecommendedItem>> {
  const res = await call<{ items?: RecommendedItem[]; recommendationId?: string }>(`/v1/products/${encodeURIComponent(productId)}/similar${query({ limit })}`);
  return { items: res.items ?? [], recommendationId: res.recommendationId ?? "" };
}

/**
 * A user's recommendations (`GET /v1/users/{id}/recommendations`) with the user's token.
 *
 * @param options - how many (1 to 100), ids to leave out, and blend weights overriding the defaults.
 * @throws ApiError 400 for weights out of bounds, 401/403 for a missing or foreign token.
 */
export async function getRecommendations(
  session: Session,
  options: { limit?: number; exclude?: readonly string[]; weights?: BlendWeights; signal?: AbortSignal } = {},
): Promise<Recommendations> {
  const w = options.weights;
  const q = query({
    limit: options.limit ?? 10,
    excludeProductIds: options.exclude,
    ...(w ? { "weights.relevance": w.relevance, "weights.trending": w.trending, "weights.collaborative": w.collaborative, "weights.content": w.content } : {}),
  });
  const res = await call<Partial<Recommendations>>(`/v1/users/${encodeURIComponent(session.user.userId)}/recommendations${q}`, {
    token: session.accessToken,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { items: res.items ?? [], strategy: res.strategy ?? "", unavailableSignals: res.unavailableSignals ?? [], recommendationId: res.recommendationId ?? "" };
}

/** The trending products (`GET /v1/trending`), highest score first, with the list's id. */
export async function getTrending(limit = 10, signal?: AbortSignal): Promise<RankedList<TrendingItem>> {
  const res = await call<{ items?: TrendingItem[]; recommendationId?: string }>(`/v1/trending${query({ limit })}`, signal ? { signal } : {});
  return { items: res.items ?? [], recommendationId: res.recommendationId ?? "" };
}

/** The JSON body of `POST /v1/events` (RecordEventRequest in proto3 JSON). */
export interface RecordEventBody {
  readonly userId: string;
  readonly productId: string;
  readonly type: EventType;
  /** The rating, for `EVENT_TYPE_RATE` only. */
  readonly value?: number;
  /** The id of the list the item was shown in, when the event came from one (attribution). */
  readonly recommendationId?: string;
}

/**
 * The body of one event: `value` only when given, `recommendationId` only when it is a non-empty
 * id (an event from outside a list, or from a list the server gave no id, carries none).
 *
 * @param options - the rating and the list's `recommendationId`.
 */
export function eventBody(userId: string, productId: string, type: EventType, options: { value?: number | undefined; recommendationId?: string | undefined } = {}): RecordEventBody {
  return {
    userId,
    productId,
    type,
    ...(options.value !== undefined ? { value: options.value } : {}),
    ...(options.recommendationId ? { recommendationId: options.recommendationId } : {}),
  };
}

/**
 * Records one engagement event for the signed-in user (`POST /v1/events`, the user's token).
 *
 * @param options - `value`: the rating, 0.5 to 5, for `EVENT_TYPE_RATE` only; `recommendationId`:
 *   the id of the list the item was shown in (see {@link eventBody}), so its click counts for that
 *   list's click-through.
 * @throws ApiError 400 naming the field, 401 when the token has expired.
 */
export async function recordEvent(session: Session, productId: string, type: EventType, options: { value?: number | undefined; recommendationId?: string | undefined } = {}): Promise<void> {
  await call("/v1/events", { method: "POST", token: session.accessToken, body: eventBody(session.user.userId, productId, type, options) });
}

/**
 * The serving side's status, raw JSON (`GET /v1/operator/status`, the service token only); read
 * it with `parseServingStatus` of operator.ts.
 *
 * @throws ApiError 401 without a valid token, 403 with a user's token.
 */
export function getServingStatusJson(serviceToken: string, signal?: AbortSignal): Promise<unknown> {
  return call("/v1/operator/status", { token: serviceToken, ...(signal ? { signal } : {}) });
}

/**
 * Click-through per list type over the last `windowSeconds`, raw JSON
 * (`GET /v1/operator/click-through-rates`, the service token only); read it with
 * `parseClickThroughRates` of operator.ts.
 *
 * @param windowSeconds - 1 to 86,400.
 * @throws ApiError 401 without a valid token, 403 with a user's token, 503 when the query ran too long.
 */
export function getClickThroughRatesJson(serviceToken: string, windowSeconds: number, signal?: AbortSignal): Promise<unknown> {
  return call(`/v1/operator/click-through-rates${query({ windowSeconds })}`, { token: serviceToken, ...(signal ? { signal } : {}) });
}
