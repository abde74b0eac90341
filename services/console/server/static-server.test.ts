import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSET_CACHE_CONTROL, createConsoleServer, PAGE_CACHE_CONTROL } from "./static-server.js";

describe("createConsoleServer", () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "console-dist-"));
    mkdirSync(path.join(dir, "assets"));
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>t</title>");
    writeFileSync(path.join(dir, "assets", "index-abc.js"), "console.log(1)");
    server = createConsoleServer(dir);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache and hashed assets as immutable", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe(PAGE_CACHE_CONTROL);
    expect(await page.text()).toContain("<title>t</title>");
    const js = await fetch(`${base}/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toBe(ASSET_CACHE_CONTROL);
  });

  it("answers 404 for an unknown file, 405 for a write and 200 on /healthz", async () => {
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}/../etc/passwd`)).status).toBe(404);
    const post = await fetch(`${base}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
  });

  it("serves a new build without a restart, and 503 while index.html is missing", async () => {
    const { renameSync, utimesSync } = await import("node:fs");
    writeFileSync(path.join(dir, "assets", "index-def.js"), "console.log(2)");
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>new</title>");
    const later = new Date(Date.now() + 5_000);
    utimesSync(path.join(dir, "index.html"), later, later);
    expect(await (await fetch(`${base}/`)).text()).toContain("<title>new</title>");
    expect((await fetch(`${base}/assets/index-def.js`)).status).toBe(200);
    renameSync(path.join(dir, "index.html"), path.join(dir, "index.html.off"));
    expect((await fetch(`${base}/`)).status).toBe(503);
    renameSync(path.join(dir, "index.html.off"), path.join(dir, "index.html"));
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it("refuses to start without a build", () => {
    expect(() => createConsoleServer(path.join(dir, "missing"))).toThrow(/no built console/);
  });
});
