import { existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import sirv from "sirv";

/** `cache-control` of the content-hashed files under `/assets/`: a year, never revalidated. */
export const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** `cache-control` of everything else (`index.html`, the icon): revalidated on every load, so a new build shows at once. */
export const PAGE_CACHE_CONTROL = "no-cache";

/**
 * Builds (without listening) the HTTP server of the built console: the files of `distDir` by
 * `GET`/`HEAD` (sirv: `content-type` by extension, `etag`, precompressed files ignored), `/`
 * answered with `index.html`, `/healthz` answered 200 `ok` for readiness probes, anything else 404.
 * The console routes itself in the URL's fragment (`#/product/1`), so no path needs an
 * `index.html` fallback. A rebuild while the server runs (`npm run build:console`, or another mesh
 * building a stale console) is picked up on the next request: the file list is read again when
 * `index.html` changes, and a request during the build itself is answered 503. Security headers (CSP, nosniff) are added by Envoy, the edge that
 * browsers reach (envoy/render-config.ts); this server is bound to loopback behind it.
 *
 * @param distDir - the `vite build` output (index.html and assets/).
 * @returns the server; call `listen` on it.
 * @throws Error when `distDir` has no index.html (the console was not built).
 */
export function createConsoleServer(distDir: string): Server {
  if (!existsSync(path.join(distDir, "index.html"))) {
    throw new Error(`no built console in ${distDir} (index.html missing): run \`npm run build:console\``);
  }
  const index = path.join(distDir, "index.html");
  const stamp = (): number | undefined => (existsSync(index) ? statSync(index).mtimeMs : undefined);
  // sirv (not in dev mode) lists the files once; a new build means a new list.
  const load = () =>
    sirv(distDir, {
      dev: false,
      etag: true,
      dotfiles: false,
      setHeaders(res, pathname) {
        res.setHeader("cache-control", pathname.startsWith("/assets/") ? ASSET_CACHE_CONTROL : PAGE_CACHE_CONTROL);
      },
    });
  let built = stamp();
  let files = load();
  return createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const now = stamp();
    if (now === undefined) {
      res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("the console is being rebuilt");
      return;
    }
    if (now !== built) {
      built = now;
      files = load();
    }
    files(req, res, () => {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
  });
}
