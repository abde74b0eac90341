/**
 * The README's screenshots of the web console: `npm run screenshots:console` starts a private mesh
 * (port set `FAULT_MESH_PORTS.console`, the 300-movie MovieLens subset; set MOVIELENS_DIR), drives
 * Debian's Chromium through a short session — register, click and like a few items — and writes
 * 1280-pixel-wide PNGs to docs/screenshots/: `storefront.png` ("for you" with its signal bars
 * beside the trending panel), `product.png` (a product and its similar items), `playground.png`
 * (the blend sliders with trending turned up), `catalog.png` and `operator.png` (the operator view:
 * serving status and click-through, with the mesh's service token pasted). Then it stops the mesh.
 *
 * `-- --url http://127.0.0.1:8080/` uses a running console instead (for example `npm start`'s);
 * the operator picture then needs that mesh's token, `SERVICE_TOKEN` in the environment (as in
 * `.run/secrets.env`), and is skipped without it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "puppeteer-core";
import { REPO_ROOT } from "../infra/paths.js";
import { FAULT_MESH_PORTS, OWN_MESH_SERVICE_TOKEN, startOwnMesh } from "../mesh-support/private-mesh.js";
import { CONSOLE_PORT_OFFSET, type Mesh } from "../mesh.js";
import { launchChromium } from "./chromium.js";

/** Where the screenshots go. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, "docs", "screenshots");

const { values } = parseArgs({ options: { url: { type: "string" } } });

/** Waits until the page has no request in flight for a moment (the lists are drawn). */
async function settle(page: Page): Promise<void> {
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 10_000 }).catch(() => undefined);
}

let mesh: Mesh | undefined;
try {
  let base = values.url;
  let serviceToken = process.env.SERVICE_TOKEN ?? "";
  if (base === undefined) {
    serviceToken = OWN_MESH_SERVICE_TOKEN;
    const ports = FAULT_MESH_PORTS.console;
    console.log("starting a private mesh with the console…");
    mesh = await startOwnMesh({
      name: "console-screenshots",
      ports: ports.infra,
      servicePorts: ports.services,
      console: { port: ports.services.recommendation + CONSOLE_PORT_OFFSET },
    });
    base = mesh.consoleUrl!;
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const shot = async (name: string, options: { toast?: boolean } = {}): Promise<void> => {
      await settle(page);
      // Only the storefront shows the feedback toast; the other pictures wait for it to go.
      if (options.toast !== true) await page.waitForFunction("document.getElementById('status')?.textContent === ''", { timeout: 15_000 });
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file as `${string}.png`, fullPage: false });
      console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
    };
    const username = `demo${Date.now() % 100_000}`;
    await page.goto(new URL("#/login", base).href, { waitUntil: "load" });
    await page.waitForSelector("#username");
    await page.type("#username", username);
    await page.type("#password", "correct horse battery");
    await page.type("#email", `${username}@example.com`);
    await page.click("#register");
    await page.waitForSelector("#for-you [data-product-id]");
    // A little history: a few clicks and two likes, so trending has entries and the list is personal.
    const ids = await page.$$eval("#for-you [data-product-id]", (els) => els.map((el) => el.getAttribute("data-product-id") ?? ""));
    for (const id of ids.slice(3, 6)) for (let i = 0; i < 3; i++) await page.click(`#for-you [data-product-id="${id}"] button[data-action=click]`);
    for (const id of ids.slice(0, 2)) {
      await page.click(`#for-you [data-product-id="${id}"] button[data-action=like]`);
      await page.waitForFunction("/Recorded like/.test(document.getElementById('status')?.textContent ?? '')", { timeout: 10_000 });
    }
    await page.waitForSelector("#trending [data-product-id]");
    // Refresh until the likes have reached the user's state through the stream (personalised, no banner).
    for (let i = 0; i < 20; i++) {
      await page.click("#refresh-for-you");
      await page.waitForSelector("#for-you[aria-busy=false] [data-product-id]");
      if ((await page.$("#cold-start-banner")) === null) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.evaluate("window.scrollTo(0, 0)");
    await shot("storefront", { toast: true });
    const first = await page.$eval("#for-you [data-product-id]", (el) => el.getAttribute("data-product-id") ?? "");
    await page.goto(new URL(`#/product/${first}`, base).href);
    await page.waitForSelector("#similar [data-product-id]");
    await shot("product");
    // A click on a similar item, so the operator view has click-through on two list types.
    await page.click("#similar [data-product-id] button[data-action=click]");
    await page.waitForFunction("/Recorded click/.test(document.getElementById('status')?.textContent ?? '')", { timeout: 10_000 });
    await page.goto(new URL("#/playground", base).href);
    await page.waitForSelector("#playground-list [data-product-id]");
    await page.focus("#w-trending");
    for (let i = 0; i < 8; i++) await page.keyboard.press("ArrowRight");
    await page.evaluate("document.activeElement.blur()");
    await shot("playground");
    await page.goto(new URL("#/catalog?category=Comedy", base).href);
    await page.waitForSelector(".catalog [data-product-id]");
    await shot("catalog");
    if (serviceToken === "") console.log("skipped operator.png: set SERVICE_TOKEN to the running mesh's service token");
    else {
      await page.goto(new URL("#/operator", base).href);
      await page.waitForSelector("#service-token");
      await page.type("#service-token", serviceToken);
      await page.click("#use-token");
      await page.waitForSelector('#operator-ctr [data-list-type="for-you"]');
      await page.waitForFunction("/^\\d/.test(document.querySelector('[data-figure=events-per-second]')?.textContent ?? '')", { timeout: 15_000 });
      await page.evaluate("document.activeElement.blur()");
      await shot("operator");
    }
  } finally {
    await browser.close();
  }
} finally {
  await mesh?.stop();
}
