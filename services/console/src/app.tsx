import { useLayoutEffect, useRef } from "preact/hooks";
import { StatusRegion, announce } from "./components.js";
import { CatalogPage } from "./pages/catalog.js";
import { HomePage } from "./pages/home.js";
import { LoginPage } from "./pages/login.js";
import { OperatorPage } from "./pages/operator.js";
import { PlaygroundPage } from "./pages/playground.js";
import { ProductPage } from "./pages/product.js";
import { href, useRoute, type Route } from "./router.js";
import { setSession, useSession } from "./session.js";

/** The main navigation, in order. */
const NAV_ITEMS: readonly { readonly label: string; readonly route: Route }[] = [
  { label: "For you", route: { page: "home" } },
  { label: "Catalog", route: { page: "catalog", category: "", query: "" } },
  { label: "Blend playground", route: { page: "playground" } },
  { label: "Operator", route: { page: "operator" } },
];

/** The console: header with navigation and account, the routed page, and the live status region. */
export function App() {
  const route = useRoute();
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  // After a navigation, focus moves to the page's content (keyboard and screen-reader users start
  // there). A layout effect, run before the browser paints: a plain effect runs after paint and
  // could pull focus back to <main> from a field the user already tabbed to and typed in.
  const first = useRef(true);
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route]);
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <h1>
          <a href={href({ page: "home" })}>
            <img src="/favicon.svg" alt="" width={28} height={28} />
            recsys
          </a>
        </h1>
        <nav aria-label="Main">
          <ul>
            {NAV_ITEMS.map((item) => (
              <li key={item.label}>
                <a href={href(item.route)} aria-current={item.route.page === route.page ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          {session ? (
            <>
              <span id="signed-in-as">Signed in as {session.user.username}</span>
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setSession(undefined);
                  announce("Signed out.");
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <a class="btn primary" href={href({ page: "login" })}>
              Sign in
            </a>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
      <footer class="foot">
        <StatusRegion />
      </footer>
    </>
  );

  function Page({ route }: { route: Route }) {
    switch (route.page) {
      case "home":
        return <HomePage session={session} />;
      case "catalog":
        return <CatalogPage session={session} category={route.category} query={route.query} />;
      case "product":
        return <ProductPage session={session} productId={route.productId} recommendationId={route.recommendationId} />;
      case "playground":
        return <PlaygroundPage session={session} />;
      case "operator":
        return <OperatorPage />;
      case "login":
        return <LoginPage />;
      case "not-found":
        return (
          <section class="panel">
            <h2>Not found</h2>
            <p>
              No page at {route.path}. <a href={href({ page: "home" })}>Go home</a>.
            </p>
          </section>
        );
    }
  }
}
