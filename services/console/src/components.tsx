import { useEffect, useState } from "preact/hooks";
import { ApiError, recordEvent, type EventType, type RecommendedItem, type Session, type SignalScores } from "./api.js";
import { href } from "./router.js";
import { hideProduct, unhideProduct } from "./session.js";

type Listener = (message: string) => void;
const announcers = new Set<Listener>();

/** Says a message in the page's polite live region (screen readers read it; it is also shown). */
export function announce(message: string): void {
  for (const listener of announcers) listener(message);
}

/** How long a status message stays, in ms. */
const STATUS_MS = 6_000;

/** The live region {@link announce} writes to: one per page, in the layout. */
export function StatusRegion() {
  const [message, setMessage] = useState("");
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (m) => {
      setMessage(m);
      // The message stays long enough to read, then the toast goes.
      clearTimeout(timer);
      timer = setTimeout(() => setMessage(""), STATUS_MS);
    };
    announcers.add(listener);
    return () => {
      clearTimeout(timer);
      announcers.delete(listener);
    };
  }, []);
  return (
    <p id="status" class="status" role="status" aria-live="polite">
      {message}
    </p>
  );
}

/** Display names of the four signals, in the order their bars are drawn. */
const SIGNALS: readonly (readonly [keyof SignalScores, string])[] = [
  ["collaborative", "Collaborative"],
  ["content", "Content"],
  ["trending", "Trending"],
  ["popularity", "Popularity"],
];

/** One bar per signal (a `<meter>` from 0 to 1, labelled with the signal and its value) and the final score. */
export function SignalBars({ signals, score }: { signals: SignalScores; score: number }) {
  return (
    <dl class="signals">
      {SIGNALS.map(([key, label]) => (
        <div class="signal" key={key}>
          <dt>{label}</dt>
          <dd>
            <meter min={0} max={1} value={signals[key]} aria-label={`${label} signal`} />
            <span class="num">{signals[key].toFixed(2)}</span>
          </dd>
        </div>
      ))}
      <div class="signal score">
        <dt>Score</dt>
        <dd>
          <span class="num">{score.toFixed(3)}</span>
        </dd>
      </div>
    </dl>
  );
}

/** Human name of an event type, for messages. */
const EVENT_NAMES: Readonly<Record<EventType, string>> = {
  EVENT_TYPE_CLICK: "click",
  EVENT_TYPE_VIEW: "view",
  EVENT_TYPE_LIKE: "like",
  EVENT_TYPE_DISLIKE: "dislike",
  EVENT_TYPE_RATE: "rating",
};

/**
 * The click, like, dislike and rate buttons of one product: each records an event with the
 * user's token and says so in the live region. A like, dislike or rating also hides the product
 * from "for you" (see `hideProduct`), at once rather than on the answer, and shows it again if the
 * event is refused. Without a session they are not shown.
 *
 * @param recommendationId - the id of the list the product is shown in (or was followed from),
 *   sent with every event so its clicks count for that list's click-through; "" or absent for none.
 * @param onRecorded - called after an event was accepted.
 */
export function EventButtons({
  session,
  productId,
  title,
  recommendationId,
  onRecorded,
}: {
  session: Session | undefined;
  productId: string;
  title: string;
  recommendationId?: string;
  onRecorded?: (type: EventType) => void;
}) {
  const [rating, setRating] = useState("4");
  const [busy, setBusy] = useState(0);
  if (!session) return null;
  const send = (type: EventType, value?: number): void => {
    setBusy((n) => n + 1);
    // Hidden at once, so a Refresh pressed before the answer already leaves it out; put back if refused.
    const hides = type !== "EVENT_TYPE_CLICK" && type !== "EVENT_TYPE_VIEW";
    if (hides) hideProduct(session.user.userId, productId);
    recordEvent(session, productId, type, { value, recommendationId })
      .then(() => {
        announce(`Recorded ${EVENT_NAMES[type]}${value !== undefined ? ` of ${value}` : ""} on ${title}.`);
        onRecorded?.(type);
      })
      .catch((err: unknown) => {
        if (hides) unhideProduct(session.user.userId, productId);
        announce(`Could not record the ${EVENT_NAMES[type]}: ${err instanceof ApiError ? err.message : String(err)}`);
      })
      .finally(() => setBusy((n) => n - 1));
  };
  const selectId = `rate-${productId}`;
  return (
    <div class="actions" role="group" aria-label={`Feedback on ${title}`} aria-busy={busy > 0}>
      <button type="button" class="btn" data-action="click" aria-label={`Click ${title}`} onClick={() => send("EVENT_TYPE_CLICK")}>
        Click
      </button>
      <button type="button" class="btn" data-action="like" aria-label={`Like ${title}`} onClick={() => send("EVENT_TYPE_LIKE")}>
        Like
      </button>
      <button type="button" class="btn" data-action="dislike" aria-label={`Dislike ${title}`} onClick={() => send("EVENT_TYPE_DISLIKE")}>
        Dislike
      </button>
      <span class="rate">
        <label for={selectId} class="visually-hidden">
          Rating for {title}
        </label>
        <select id={selectId} value={rating} onChange={(e) => setRating((e.currentTarget as HTMLSelectElement).value)}>
          {["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"].map((v) => (
            <option value={v} key={v}>
              {v} ★
            </option>
          ))}
        </select>
        <button type="button" class="btn" data-action="rate" aria-label={`Rate ${title}`} onClick={() => send("EVENT_TYPE_RATE", Number(rating))}>
          Rate
        </button>
      </span>
    </div>
  );
}

/**
 * A link to a product's page.
 *
 * @param recommendationId - the id of the list the link is shown in: the product page sends it
 *   with its events (see `Route`), so following a list's link and clicking there counts for it.
 */
export function ProductLink({ productId, title, recommendationId = "" }: { productId: string; title: string; recommendationId?: string }) {
  return (
    <a class="product-link" href={href({ page: "product", productId, recommendationId })}>
      {title}
    </a>
  );
}

/**
 * One recommended item: title (a link), categories, reason, signal bars and the event buttons.
 *
 * @param recommendationId - the id of the answer the item came in, carried by its events and link.
 */
export function RecommendedCard({
  item,
  rank,
  session,
  recommendationId,
  onRecorded,
}: {
  item: RecommendedItem;
  rank: number;
  session: Session | undefined;
  recommendationId: string;
  onRecorded?: (type: EventType) => void;
}) {
  return (
    <li class="card" data-product-id={item.productId}>
      <div class="card-head">
        <span class="rank" aria-hidden="true">
          {rank}
        </span>
        <h3>
          <ProductLink productId={item.productId} title={item.title} recommendationId={recommendationId} />
        </h3>
      </div>
      <p class="meta">{item.categories.join(" · ")}</p>
      <p class="reason">
        <span class="visually-hidden">Why: </span>
        {item.reason}
      </p>
      <SignalBars signals={item.signals} score={item.score} />
      <EventButtons session={session} productId={item.productId} title={item.title} recommendationId={recommendationId} {...(onRecorded ? { onRecorded } : {})} />
    </li>
  );
}

/** An error message box (role alert), or nothing. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)}
    </p>
  );
}
