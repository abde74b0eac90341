import { useCallback, useEffect, useState } from "preact/hooks";
import { getRecommendations, type Recommendations, type Session } from "../api.js";
import { ErrorNote, RecommendedCard } from "../components.js";
import { href } from "../router.js";
import { hiddenProducts } from "../session.js";
import { TrendingPanel } from "../trending-panel.js";

/** How many "for you" items are shown. */
const FOR_YOU_LIMIT = 12;

/**
 * The storefront's home: "for you" (the signed-in user's recommendations, each with its reason,
 * signal bars, score and feedback buttons; a banner for cold start) beside the trending panel.
 * "Refresh" asks again, leaving out what was liked, disliked or rated in this tab. Events on a
 * card carry the `recommendationId` of the answer that showed it (click-through attribution).
 */
export function HomePage({ session }: { session: Session | undefined }) {
  return (
    <div class="two-col">
      {session ? (
        <ForYou session={session} />
      ) : (
        <section class="panel" aria-labelledby="welcome-title">
          <h2 id="welcome-title">Welcome</h2>
          <p>
            <a href={href({ page: "login" })}>Sign in or create an account</a> to get recommendations for you, or{" "}
            <a href={href({ page: "catalog", category: "", query: "" })}>browse the catalog</a>.
          </p>
        </section>
      )}
      <TrendingPanel />
    </div>
  );
}

function ForYou({ session }: { session: Session }) {
  const [recs, setRecs] = useState<Recommendations | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(false);
  const load = useCallback(() => {
    setLoading(true);
    getRecommendations(session, { limit: FOR_YOU_LIMIT, exclude: hiddenProducts(session.user.userId) })
      .then((r) => {
        setRecs(r);
        setError(undefined);
      })
      .catch((err: unknown) => setError(err))
      .finally(() => setLoading(false));
  }, [session]);
  useEffect(load, [load]);
  return (
    <section class="panel" id="for-you" aria-labelledby="for-you-title" aria-busy={loading}>
      <div class="panel-head">
        <h2 id="for-you-title">For you</h2>
        <button type="button" class="btn" id="refresh-for-you" onClick={load} disabled={loading}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error} />
      {recs?.strategy === "cold_start" ? (
        <p class="banner" id="cold-start-banner">
          New here? These are <strong>popular and trending</strong> picks. Like or rate a few to make them yours.
        </p>
      ) : null}
      {recs && recs.unavailableSignals.length > 0 ? <p class="hint">Unavailable right now: {recs.unavailableSignals.join(", ")}.</p> : null}
      {recs === undefined && error === undefined ? <p>Loading…</p> : null}
      {recs ? (
        <ol class="cards" aria-label="Recommendations for you">
          {recs.items.map((item, i) => (
            <RecommendedCard key={item.productId} item={item} rank={i + 1} session={session} recommendationId={recs.recommendationId} />
          ))}
        </ol>
      ) : null}
    </section>
  );
}
