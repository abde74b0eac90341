import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, getClickThroughRatesJson, getServingStatusJson } from "../api.js";
import { announce } from "../components.js";
import {
  CTR_WINDOW_SECONDS,
  OPERATOR_POLL_MS,
  describeFailure,
  formatDuration,
  formatPercent,
  isTokenFailure,
  parseClickThroughRates,
  parseServingStatus,
  updatedAgo,
  type ListClickThrough,
  type ServingStatus,
} from "../operator.js";
import { getServiceToken, setServiceToken } from "../session.js";

/** What one polled route has given so far. */
interface Polled<T> {
  readonly data: T | undefined;
  /** The last failure's message (cleared by the next answer). */
  readonly error: string | undefined;
  /** Epoch ms of the last answer. */
  readonly updatedAt: number | undefined;
}

/**
 * Polls one operator route every {@link OPERATOR_POLL_MS} ms while the tab is visible (one request
 * in flight at a time), keeping the last answer when a poll fails. A 401 or 403 stops the polling:
 * asking again with the same token cannot help (a new `attempt`, the same token pasted again,
 * starts over).
 */
function usePoll<T>(token: string, attempt: number, what: string, route: string, fetcher: (token: string, signal: AbortSignal) => Promise<unknown>, parse: (json: unknown) => T): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, updatedAt: undefined });
  useEffect(() => {
    setState({ data: undefined, error: undefined, updatedAt: undefined });
    if (token === "") return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const tick = async (): Promise<void> => {
      let again = true;
      if (document.visibilityState === "visible") {
        try {
          const data = parse(await fetcher(token, controller.signal));
          if (stopped) return;
          setState({ data, error: undefined, updatedAt: Date.now() });
        } catch (err) {
          if (stopped) return;
          const status = err instanceof ApiError ? err.status : 0;
          const message = err instanceof Error ? err.message : String(err);
          setState((s) => ({ ...s, error: describeFailure(what, route, status, message) }));
          again = !isTokenFailure(status);
        }
      }
      if (!stopped && again) timer = setTimeout(() => void tick(), OPERATOR_POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [token, attempt]);
  return state;
}

/** Hook: the time now, re-rendering every second (for "updated N s ago"). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const STATUS_ROUTE = "GET /v1/operator/status";
const CTR_ROUTE = "GET /v1/operator/click-through-rates";

/**
 * The operator view (`#/operator`): the serving status (events per second, consumer lag, outbox
 * backlog, the served model with its offline HR@10/NDCG@10 and age, unavailable signals, recent
 * errors) and click-through per list type over the last hour, each asked again every
 * {@link OPERATOR_POLL_MS} ms with "updated N s ago". Both routes need the service token, which
 * the operator pastes into a password field: it is kept in this tab's sessionStorage only (not
 * localStorage, not the URL) until "Forget token".
 */
export function OperatorPage() {
  const [token, setToken] = useState(getServiceToken);
  // Bumped on every "Use token", so the same token pasted again (after a 503 or a fixed mesh) is asked again.
  const [attempt, setAttempt] = useState(0);
  const [draft, setDraft] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const status = usePoll<ServingStatus>(token, attempt, "Serving status", STATUS_ROUTE, (t, s) => getServingStatusJson(t, s), parseServingStatus);
  const ctr = usePoll<readonly ListClickThrough[]>(token, attempt, "Click-through rates", CTR_ROUTE, (t, s) => getClickThroughRatesJson(t, CTR_WINDOW_SECONDS, s), parseClickThroughRates);
  const now = useNow();
  const use = (value: string): void => {
    setServiceToken(value);
    setToken(value);
    setAttempt((n) => n + 1);
    setDraft("");
  };
  return (
    <div class="operator">
      <section class="panel" aria-labelledby="token-title">
        <h2 id="token-title">Service token</h2>
        <p class="hint" id="token-help">
          The operator routes answer only to the mesh's service token (<code>SERVICE_TOKEN</code>, in <code>.run/secrets.env</code> under <code>npm start</code>). Paste it here: it
          is kept in this tab's session storage only, never in local storage or the URL, sent only to this origin's <code>/v1/operator/…</code> routes, and gone when the tab closes or you
          press Forget token.
        </p>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const value = draft.trim();
            if (value === "") return;
            use(value);
            announce("Service token set for this tab; loading the operator view.");
          }}
        >
          <label for="service-token">Service token</label>
          {/* No name attribute: the token is never part of a form submission or URL. */}
          <input
            id="service-token"
            ref={input}
            type="password"
            autoComplete="off"
            spellcheck={false}
            aria-describedby="token-help"
            value={draft}
            onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="btn primary" id="use-token">
            Use token
          </button>
          {token !== "" ? (
            <button
              type="button"
              class="btn"
              id="forget-token"
              onClick={() => {
                use("");
                announce("Service token forgotten.");
                input.current?.focus();
              }}
            >
              Forget token
            </button>
          ) : null}
        </form>
        <p id="token-state">{token === "" ? "No service token in this tab yet." : "A service token is set for this tab."}</p>
      </section>
      {token === "" ? null : (
        <div class="two-col">
          <StatusPanel polled={status} now={now} />
          <ClickThroughPanel polled={ctr} now={now} />
        </div>
      )}
    </div>
  );
}

/** A failure message (role alert), or nothing. */
function Failure({ id, message }: { id: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  );
}

/** A figure that may be missing (its source did not answer). */
function figure(value: number | undefined, format: (v: number) => string): string {
  return value === undefined ? "not available" : format(value);
}

const int = (v: number): string => v.toLocaleString("en-US");

function StatusPanel({ polled, now }: { polled: Polled<ServingStatus>; now: number }) {
  const s = polled.data;
  return (
    <section class="panel" id="operator-status" aria-labelledby="operator-status-title" aria-busy={s === undefined && polled.error === undefined}>
      <div class="panel-head">
        <h2 id="operator-status-title">Serving status</h2>
        <p class="hint" id="operator-status-updated">
          {updatedAgo(polled.updatedAt, now)}
        </p>
      </div>
      <Failure id="operator-status-error" message={polled.error} />
      {s === undefined ? (
        polled.error === undefined ? <p>Loading…</p> : null
      ) : (
        <>
          <dl class="figures">
            <div>
              <dt>Events per second</dt>
              <dd class="num" data-figure="events-per-second">{figure(s.eventsPerSecond, (v) => v.toFixed(2))}</dd>
            </div>
            <div>
              <dt>Consumer lag</dt>
              <dd class="num" data-figure="consumer-lag">{figure(s.consumerLagMessages, (v) => `${int(v)} messages`)}</dd>
            </div>
            <div>
              <dt>Outbox backlog</dt>
              <dd class="num" data-figure="outbox-backlog">
                {figure(s.outboxPendingRows, (v) => `${int(v)} rows`)}
                {s.outboxPendingRows !== undefined && s.outboxPendingRows > 0 && s.outboxOldestRowAgeSeconds !== undefined ? `, oldest ${formatDuration(s.outboxOldestRowAgeSeconds)}` : ""}
              </dd>
            </div>
            <div>
              <dt>Served model</dt>
              <dd data-figure="model">
                {s.model === undefined ? (
                  "none (content, popularity and trending serve alone)"
                ) : (
                  <>
                    <code>{s.model.version}</code>, {formatDuration(s.model.ageSeconds)} old
                  </>
                )}
              </dd>
            </div>
            <div>
              <dt>Offline HR@10 / NDCG@10</dt>
              <dd class="num" data-figure="model-metrics">
                {s.model === undefined || s.model.hrAt10 === undefined || s.model.ndcgAt10 === undefined
                  ? "not available"
                  : `${s.model.hrAt10.toFixed(3)} / ${s.model.ndcgAt10.toFixed(3)} (${int(s.model.validationUsers)} validation users)`}
              </dd>
            </div>
            <div>
              <dt>Unavailable signals</dt>
              <dd data-figure="unavailable-signals">{s.unavailableSignals.length === 0 ? "none" : s.unavailableSignals.join(", ")}</dd>
            </div>
          </dl>
          <h3 id="recent-errors-title">Recent errors</h3>
          {s.recentErrors.length === 0 ? (
            <p id="recent-errors-none">None.</p>
          ) : (
            <table class="table" aria-labelledby="recent-errors-title" id="recent-errors">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Source</th>
                  <th scope="col">Message</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {s.recentErrors.map((e, i) => (
                  <tr key={`${e.time}-${i}`}>
                    <td class="num">{e.time === "" ? "" : new Date(e.time).toLocaleTimeString("en-GB")}</td>
                    <td>{e.source}</td>
                    <td>{e.message}</td>
                    <td class="num">{e.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function ClickThroughPanel({ polled, now }: { polled: Polled<readonly ListClickThrough[]>; now: number }) {
  const rates = polled.data;
  return (
    <section class="panel" id="operator-ctr" aria-labelledby="operator-ctr-title" aria-busy={rates === undefined && polled.error === undefined}>
      <div class="panel-head">
        <h2 id="operator-ctr-title">Click-through</h2>
        <p class="hint" id="operator-ctr-updated">
          {updatedAgo(polled.updatedAt, now)}
        </p>
      </div>
      <Failure id="operator-ctr-error" message={polled.error} />
      {rates === undefined ? (
        polled.error === undefined ? <p>Loading…</p> : null
      ) : (
        <table class="table numeric">
          <caption>Per list type, lists shown over the last hour; a click counts once per list and item.</caption>
          <thead>
            <tr>
              <th scope="col">List</th>
              <th scope="col">Lists shown</th>
              <th scope="col">Items shown</th>
              <th scope="col">Clicks</th>
              <th scope="col">Click-through</th>
            </tr>
          </thead>
          <tbody>
            {rates.map((r) => (
              <tr key={r.kind} data-list-type={r.kind}>
                <th scope="row">{r.label}</th>
                <td class="num">{int(r.listsShown)}</td>
                <td class="num">{int(r.itemsShown)}</td>
                <td class="num" data-cell="clicks">{int(r.attributedClicks)}</td>
                <td class="num" data-cell="rate">{formatPercent(r.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
