import { useEffect, useState } from "preact/hooks";
import { DEFAULT_WEIGHTS, getRecommendations, type BlendWeights, type Recommendations, type Session } from "../api.js";
import { ErrorNote, SignalBars } from "../components.js";
import { href } from "../router.js";
import { moveWeight } from "../weights.js";

/** How long the sliders must rest before the list is asked again, in ms (one request per pause, not per pixel). */
const DEBOUNCE_MS = 120;

/** Slider labels and what each weight does. */
const SLIDERS: readonly (readonly [keyof BlendWeights, string, string])[] = [
  ["relevance", "Relevance", "share of personal relevance (popularity for a new user)"],
  ["trending", "Trending", "share of the trending signal"],
  ["collaborative", "Collaborative", "part of relevance from the NeuMF model"],
  ["content", "Content", "part of relevance from TF-IDF similarity"],
];

/**
 * The blend playground: four sliders for GetRecommendations' per-request BlendWeights and the
 * signed-in user's list, re-ranked live (asked again {@link DEBOUNCE_MS} ms after a slider stops).
 */
export function PlaygroundPage({ session }: { session: Session | undefined }) {
  const [weights, setWeights] = useState<BlendWeights>(DEFAULT_WEIGHTS);
  const [recs, setRecs] = useState<Recommendations | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    if (!session) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      getRecommendations(session, { limit: 10, weights, signal: controller.signal }).then(
        (r) => {
          setRecs(r);
          setError(undefined);
        },
        (err: unknown) => {
          if (!(err instanceof DOMException && err.name === "AbortError")) setError(err);
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [session, weights]);
  if (!session) {
    return (
      <section class="panel">
        <h2>Blend playground</h2>
        <p>
          <a href={href({ page: "login" })}>Sign in</a> to tune your own recommendations.
        </p>
      </section>
    );
  }
  return (
    <div class="two-col">
      <section class="panel" aria-labelledby="weights-title">
        <h2 id="weights-title">Blend weights</h2>
        <p class="hint">score = relevance × (collaborative × CF + content × TF-IDF) + trending × trending</p>
        <div class="sliders">
          {SLIDERS.map(([key, label, help]) => (
            <div class="slider" key={key}>
              <label for={`w-${key}`}>
                {label} <output for={`w-${key}`}>{weights[key].toFixed(2)}</output>
              </label>
              <input
                id={`w-${key}`}
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={weights[key]}
                aria-describedby={`w-${key}-help`}
                onInput={(e) => setWeights((w) => moveWeight(w, key, Number((e.currentTarget as HTMLInputElement).value)))}
              />
              <span class="hint" id={`w-${key}-help`}>
                {help}
              </span>
            </div>
          ))}
        </div>
        <button type="button" class="btn" onClick={() => setWeights(DEFAULT_WEIGHTS)}>
          Reset to defaults
        </button>
      </section>
      <section class="panel" id="playground-list" aria-labelledby="ranked-title" aria-live="polite">
        <h2 id="ranked-title">Ranked list</h2>
        <ErrorNote error={error} />
        {recs?.strategy === "cold_start" ? <p class="banner">Cold start: relevance is popularity here.</p> : null}
        <ol class="cards compact">
          {recs?.items.map((item, i) => (
            <li class="card" key={item.productId} data-product-id={item.productId}>
              <div class="card-head">
                <span class="rank" aria-hidden="true">
                  {i + 1}
                </span>
                <h3>{item.title}</h3>
              </div>
              <SignalBars signals={item.signals} score={item.score} />
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
