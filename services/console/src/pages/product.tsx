import { useEffect, useState } from "preact/hooks";
import { getProduct, getSimilar, type Product, type RankedList, type RecommendedItem, type Session } from "../api.js";
import { ErrorNote, EventButtons, RecommendedCard } from "../components.js";

const NO_SIMILAR: RankedList<RecommendedItem> = { items: [], recommendationId: "" };

/**
 * One product: its details, feedback buttons and the similar items (content + trending blend).
 *
 * @param recommendationId - the list the product was followed from (the route's `rec`), sent with
 *   the product's own events; the similar items' events carry the similar list's id instead.
 */
export function ProductPage({ session, productId, recommendationId }: { session: Session | undefined; productId: string; recommendationId: string }) {
  const [product, setProduct] = useState<Product | undefined>(undefined);
  const [similar, setSimilar] = useState<RankedList<RecommendedItem>>(NO_SIMILAR);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    setProduct(undefined);
    setError(undefined);
    getProduct(productId).then(setProduct, setError);
    getSimilar(productId).then(setSimilar, () => setSimilar(NO_SIMILAR));
  }, [productId]);
  return (
    <div>
      <ErrorNote error={error} />
      {product ? (
        <article class="panel" aria-labelledby="product-title">
          <h2 id="product-title">{product.title}</h2>
          {product.imageUrl ? <img class="poster" src={product.imageUrl} alt={`Poster of ${product.title}`} /> : null}
          <p class="meta">
            {product.year ? `${product.year} · ` : ""}
            {product.categories.join(" · ")}
          </p>
          {product.description ? <p>{product.description}</p> : null}
          {product.tags && product.tags.length > 0 ? <p class="hint">Tags: {product.tags.slice(0, 12).join(", ")}</p> : null}
          <EventButtons session={session} productId={product.productId} title={product.title} recommendationId={recommendationId} />
        </article>
      ) : error === undefined ? (
        <p>Loading…</p>
      ) : null}
      <section class="panel" id="similar" aria-labelledby="similar-title">
        <h2 id="similar-title">Similar items</h2>
        <ol class="cards">
          {similar.items.map((item, i) => (
            <RecommendedCard key={item.productId} item={item} rank={i + 1} session={session} recommendationId={similar.recommendationId} />
          ))}
        </ol>
      </section>
    </div>
  );
}
