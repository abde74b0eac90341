import { useEffect, useRef, useState } from "preact/hooks";
import { listCategories, listProducts, type Category, type Product, type Session } from "../api.js";
import { ErrorNote, EventButtons, ProductLink } from "../components.js";
import { navigate } from "../router.js";

/** Products per catalog page. */
const PAGE_SIZE = 24;

/**
 * Search and browse: a search box and a category picker (both kept in the URL), the matching
 * live products with their feedback buttons, and "More" for the next page.
 */
export function CatalogPage({ session, category, query }: { session: Session | undefined; category: string; query: string }) {
  const [categories, setCategories] = useState<readonly Category[]>([]);
  const [products, setProducts] = useState<readonly Product[]>([]);
  const [next, setNext] = useState("");
  const [total, setTotal] = useState<number | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [text, setText] = useState(query);
  // The query the search box was last set from: the box follows a new query in the URL, but the
  // first effect (which runs after paint) must not clear what was typed before it ran.
  const boxQuery = useRef(query);
  useEffect(() => {
    listCategories().then(setCategories, setError);
  }, []);
  useEffect(() => {
    if (boxQuery.current !== query) {
      boxQuery.current = query;
      setText(query);
    }
    setTotal(undefined);
    listProducts({ category, query, pageSize: PAGE_SIZE }).then((page) => {
      setProducts(page.products);
      setNext(page.nextPageToken);
      setTotal(page.totalSize);
      setError(undefined);
    }, setError);
  }, [category, query]);
  const more = (): void => {
    listProducts({ category, query, pageSize: PAGE_SIZE, pageToken: next }).then((page) => {
      setProducts((p) => [...p, ...page.products]);
      setNext(page.nextPageToken);
    }, setError);
  };
  return (
    <section class="panel" aria-labelledby="catalog-title">
      <h2 id="catalog-title">Catalog</h2>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate({ page: "catalog", category, query: text.trim() });
        }}
      >
        <label for="search">Search</label>
        <input id="search" type="search" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} placeholder="Title, tag or genre" />
        <button type="submit" class="btn">
          Search
        </button>
        <label for="category">Category</label>
        <select id="category" value={category} onChange={(e) => navigate({ page: "catalog", category: (e.currentTarget as HTMLSelectElement).value, query })}>
          <option value="">All categories</option>
          {categories.map((c) => (
            <option value={c.name} key={c.name}>
              {c.name} ({c.productCount})
            </option>
          ))}
        </select>
      </form>
      <ErrorNote error={error} />
      {total !== undefined ? <p class="hint" aria-live="polite">{total} products</p> : null}
      <ul class="cards catalog">
        {products.map((p) => (
          <li class="card" key={p.productId} data-product-id={p.productId}>
            <h3>
              <ProductLink productId={p.productId} title={p.title} />
            </h3>
            <p class="meta">{p.categories.join(" · ")}</p>
            <EventButtons session={session} productId={p.productId} title={p.title} />
          </li>
        ))}
      </ul>
      {next ? (
        <button type="button" class="btn" onClick={more}>
          More
        </button>
      ) : null}
    </section>
  );
}
