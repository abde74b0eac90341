import { useEffect, useState } from "preact/hooks";
import { getTrending, type RankedList, type TrendingItem } from "./api.js";
import { ProductLink } from "./components.js";

/**
 * How often the trending panel asks `GET /v1/trending`, in ms. Short polling through Envoy:
 * trending moves within a second of a click (the consumer's path), so a 500 ms poll shows a
 * change within about 1.5 s, with no streaming endpoint to add to the gRPC contracts or to keep
 * open through Envoy; a poll is one cheap Redis read (ZREVRANGE) per open tab.
 */
export const TRENDING_POLL_MS = 500;

/**
 * The trending panel: the top products by decayed weighted events, refreshed every
 * {@link TRENDING_POLL_MS} ms while the tab is visible (one request in flight at a time). Each
 * link carries the `recommendationId` of the answer it was drawn from, so events recorded on the
 * product page it opens are attributed to the trending list.
 */
export function TrendingPanel({ limit = 10 }: { limit?: number }) {
  const [items, setItems] = useState<RankedList<TrendingItem> | undefined>(undefined);
  const [failing, setFailing] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const tick = async (): Promise<void> => {
      if (document.visibilityState === "visible") {
        try {
          const next = await getTrending(limit, controller.signal);
          if (stopped) return;
          setItems(next);
          setFailing(false);
        } catch {
          if (stopped) return;
          setFailing(true);
        }
      }
      if (!stopped) timer = setTimeout(() => void tick(), TRENDING_POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [limit]);
  return (
    <section class="panel" id="trending" aria-labelledby="trending-title">
      <h2 id="trending-title">Trending now</h2>
      <p class="hint">Updated every half second from the live event stream.</p>
      {failing ? <p class="error">Trending is unavailable right now; retrying.</p> : null}
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.items.length === 0 ? (
        <p>Nothing is trending yet: click or like something.</p>
      ) : (
        <ol class="trending-list">
          {items.items.map((item, i) => (
            <li key={item.productId} data-product-id={item.productId}>
              <span class="rank" aria-hidden="true">
                {i + 1}
              </span>
              <ProductLink productId={item.productId} title={item.title} recommendationId={items.recommendationId} />
              <span class="num" aria-label={`score ${item.score.toFixed(2)}`}>
                {item.score.toFixed(2)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
