import { existsSync } from "node:fs";
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
 * `index.html` fallback. Security headers (CSP, nosniff) are added by Envoy, the edge that
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
  const files = sirv(distDir, {
    dev: false,
    etag: true,
    dotfiles: false,
    setHeaders(res, pathname) {
      res.setHeader("cache-control", pathname.startsWith("/assets/") ? ASSET_CACHE_CONTROL : PAGE_CACHE_CONTROL);
    },
  });
  return createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    files(req, res, () => {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
  });
}
