import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../../envoy/render-config.js";
import { CONSOLE_DIST } from "../../scripts/console/build.js";
import { FIRST_LOAD_JS_BUDGET_BYTES, measureFirstLoadJs } from "../../scripts/console/bundle-size.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS, OWN_MESH_SERVICE_TOKEN } from "../../scripts/mesh-support/private-mesh.js";
import { CONSOLE_PORT_OFFSET } from "../../scripts/mesh.js";
import { formatViolations, launchChromium, runAxe, watchPage, type PageProblems } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// The web console in a real browser (Debian's Chromium through puppeteer-core) against a private
// mesh that serves it through Envoy: sign-up and sign-in, the trending panel following clicks, a
// liked item leaving "for you", the blend sliders re-ranking, keyboard use with visible focus,
// axe-core on every main page, no console error anywhere; clicks attributed to their list, and the
// operator view with the service token (status, click-through, refresh, 401/403 messages). The tests share one browser tab and
// user and run in order (a later one builds on the events of an earlier one).

const ports = FAULT_MESH_PORTS.console;
const PASSWORD = "correct horse battery";

/** The ids of a list's items in order (elements with `data-product-id` under `selector`). */
function idsIn(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(`${selector} [data-product-id]`, (els) => els.map((el) => el.getAttribute("data-product-id") ?? ""));
}

/** Whether the focused element shows a focus ring (a solid outline at least 2 px wide). */
async function focusVisible(page: Page): Promise<{ tag: string; text: string; visible: boolean }> {
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    const style = el ? getComputedStyle(el) : undefined;
    return {
      tag: el ? el.tagName.toLowerCase() : "",
      text: el ? (el.getAttribute("aria-label") || el.textContent || el.id || "").trim().slice(0, 40) : "",
      visible: !!style && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    };
  })()`)) as { tag: string; text: string; visible: boolean };
}

/** Presses Tab until `match` holds for the focused element (checking the focus ring at every stop). */
async function tabTo(page: Page, match: (focused: { tag: string; text: string }) => boolean, maxTabs = 60): Promise<void> {
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press("Tab");
    const focused = await focusVisible(page);
    expect(focused.visible, `focus ring on <${focused.tag}> ${focused.text}`).toBe(true);
    if (match(focused)) return;
  }
  throw new Error(`no such element within ${maxTabs} tabs`);
}

/**
 * Presses End on the focused slider and waits for the recommendations request it causes (its URL
 * matching `request`) and for the list on the page to show that answer.
 *
 * @returns the product ids of the answer, in order.
 */
async function moveSliderToEnd(page: Page, request: RegExp): Promise<string[]> {
  const [response] = await Promise.all([page.waitForResponse((res) => request.test(res.url()) && res.ok(), { timeout: 10_000 }), page.keyboard.press("End")]);
  const expected = ((await response.json()) as { items: { productId: string }[] }).items.map((item) => item.productId);
  return eventually(
    "the list re-ranked on the page",
    async () => {
      const shown = await idsIn(page, "#playground-list");
      return shown.join() === expected.join() ? shown : undefined;
    },
    5_000,
    20,
  );
}

describe("web console in Chromium", () => {
  const suite = usePrivateMesh({
    name: "browser-console",
    ports: ports.infra,
    servicePorts: ports.services,
    console: { port: ports.services.recommendation + CONSOLE_PORT_OFFSET },
    // Recommendations open to the user's own token only, as in production.
    serviceEnv: { PUBLIC_RECOMMENDATION_READS: "false" },
  });
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  const username = `ada${Date.now() % 1_000_000}`;
  let clicked = "";

  const url = (fragment: string): string => `${suite.mesh.consoleUrl!}${fragment}`;
  /** One list type's attributed clicks and click-through over the last hour, read over REST with the service token. */
  const clickThrough = async (listType = "LIST_TYPE_FOR_YOU"): Promise<{ clicks: number; rate: number }> => {
    const res = await fetch(`${suite.mesh.restUrl}/v1/operator/click-through-rates?windowSeconds=3600`, { headers: OWN_MESH_AUTH_HEADERS });
    expect(res.status).toBe(200);
    const { rates } = (await res.json()) as { rates: { listType: string; attributedClicks?: string; clickThroughRate?: number }[] };
    const row = rates.find((r) => r.listType === listType);
    return { clicks: Number(row?.attributedClicks ?? 0), rate: row?.clickThroughRate ?? 0 };
  };
  const expectNoProblems = (): void => expect(problems.lines, problems.lines.join("\n")).toEqual([]);
  const expectNoAxeViolations = async (): Promise<void> => {
    const violations = await runAxe(page);
    expect(violations, formatViolations(violations)).toEqual([]);
  };

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    problems = watchPage(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("is served by Envoy on the API's origin with a strict CSP, and the REST routes still answer", async () => {
    const res = await fetch(suite.mesh.consoleUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\/.+\.js$/);
    const js = await fetch(`${suite.mesh.restUrl}${script!}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${suite.mesh.restUrl}/v1/categories`)).status).toBe(200);
    expect((await fetch(`${suite.mesh.restUrl}/no-such-path`)).status).toBe(404);
    expect((await fetch(suite.mesh.consoleUrl!, { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("loads under the 300 KB gzipped JavaScript budget", () => {
    const measured = measureFirstLoadJs(CONSOLE_DIST);
    console.log(`console first-load JavaScript: ${(measured.gzipBytes / 1024).toFixed(1)} KB gzipped`);
    expect(measured.gzipBytes).toBeLessThan(FIRST_LOAD_JS_BUDGET_BYTES);
  });

  it("registers, signs out and signs in again; a new user gets popular and trending picks with a banner", async () => {
    await page.goto(url("#/login"), { waitUntil: "load" });
    await page.waitForSelector("#username");
    await expectNoAxeViolations();
    await page.type("#username", username);
    await page.type("#password", PASSWORD);
    await page.type("#email", `${username}@example.com`);
    await page.click("#register");
    await page.waitForSelector("#signed-in-as");
    await page.click("header .account button");
    await page.waitForSelector("header .account a.btn");
    await page.goto(url("#/login"));
    await page.waitForSelector("#username");
    await page.type("#username", username);
    await page.type("#password", PASSWORD);
    await page.click("button[value=login]");
    await page.waitForSelector("#signed-in-as");
    expect(await page.$eval("#signed-in-as", (el) => el.textContent)).toContain(username);

    await page.waitForSelector("#for-you [data-product-id]");
    expect(await page.$("#cold-start-banner")).not.toBeNull();
    const first = await page.$("#for-you [data-product-id]");
    expect(await first!.$$eval("meter", (els) => els.length)).toBe(4);
    expect((await first!.$eval(".reason", (el) => el.textContent ?? "")).length).toBeGreaterThan(5);
    await expectNoAxeViolations();
    expectNoProblems();
  });

  it("puts a product clicked 20 times at the top of the trending panel within 2 s, and its clicks raise FOR_YOU click-through from 0", async () => {
    expect(await clickThrough()).toEqual({ clicks: 0, rate: 0 });
    const ids = await idsIn(page, "#for-you");
    clicked = ids[2] ?? ids[0]!;
    const card = `#for-you [data-product-id="${clicked}"]`;
    let accepted = 0;
    const onResponse = (res: { url: () => string; request: () => { method: () => string }; ok: () => boolean }): void => {
      if (res.url().endsWith("/v1/events") && res.request().method() === "POST" && res.ok()) accepted++;
    };
    page.on("response", onResponse);
    for (let i = 0; i < 20; i++) await page.click(`${card} button[data-action=click]`);
    await eventually("20 accepted clicks", () => (accepted >= 20 ? true : undefined), 10_000, 20);
    page.off("response", onResponse);
    const since = Date.now();
    await page.waitForFunction((id) => (globalThis as unknown as { document: { querySelector: (s: string) => { getAttribute: (a: string) => string | null } | null } }).document.querySelector("#trending [data-product-id]")?.getAttribute("data-product-id") === id, { timeout: 2_000, polling: 50 }, clicked);
    console.log(`trending panel showed the clicked product on top ${Date.now() - since} ms after the 20th click was accepted`);
    // The clicks carried the list's recommendationId: one (list, product) pair, counted once the
    // list's impression has been written (in the background, within a fraction of a second).
    const ctr = await eventually("FOR_YOU click-through above 0", async () => {
      const now = await clickThrough();
      return now.clicks > 0 ? now : undefined;
    }, 10_000);
    expect(ctr.clicks).toBe(1);
    expect(ctr.rate).toBeGreaterThan(0);
    expectNoProblems();
  });

  it("drops a liked and a rated item from \"for you\" on the next refresh", async () => {
    const ids = await idsIn(page, "#for-you");
    const [liked, rated] = ids.filter((id) => id !== clicked);
    const status = (text: string) =>
      page.waitForFunction((t) => ((globalThis as unknown as { document: { getElementById: (s: string) => { textContent: string | null } | null } }).document.getElementById("status")?.textContent ?? "").includes(t), {}, text);
    await page.click(`#for-you [data-product-id="${liked!}"] button[data-action=like]`);
    await status("Recorded like");
    await page.select(`#rate-${rated!}`, "4.5");
    await page.click(`#for-you [data-product-id="${rated!}"] button[data-action=rate]`);
    await status("Recorded rating of 4.5");
    // The refresh's answer, then the list drawn from it.
    const [response] = await Promise.all([
      page.waitForResponse((res) => res.url().includes("/recommendations?") && res.ok(), { timeout: 10_000 }),
      page.click("#refresh-for-you"),
    ]);
    const answered = ((await response.json()) as { items: { productId: string }[] }).items.map((item) => item.productId);
    expect(answered).not.toContain(liked);
    expect(answered).not.toContain(rated);
    const shown = await eventually(
      "the refreshed list on the page",
      async () => {
        const ids = await idsIn(page, "#for-you");
        return ids.join() === answered.join() ? ids : undefined;
      },
      5_000,
      20,
    );
    expect(shown).not.toContain(liked);
    expect(shown).not.toContain(rated);
    // A reload (same tab) keeps them out too.
    await page.reload({ waitUntil: "load" });
    await page.waitForSelector("#for-you[aria-busy=false] [data-product-id]");
    expect(await idsIn(page, "#for-you")).not.toContain(liked);
    expect(await idsIn(page, "#for-you")).not.toContain(rated);
    expectNoProblems();
  });

  it("re-ranks the playground's list live when a slider moves", async () => {
    await page.goto(url("#/playground"));
    await page.waitForSelector("#playground-list [data-product-id]");
    await expectNoAxeViolations();
    // Relevance all the way up: ranked by relevance alone.
    await page.focus("#w-relevance");
    const before = await moveSliderToEnd(page, /weights\.relevance=1(&|$)/);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const last = before[before.length - 1]!;
    // Four other users click the last item: it becomes the most trending product.
    for (const userId of ["1", "2", "3", "4"]) {
      const res = await fetch(`${suite.mesh.restUrl}/v1/events`, {
        method: "POST",
        headers: { ...OWN_MESH_AUTH_HEADERS, "content-type": "application/json" },
        body: JSON.stringify({ userId, productId: last, type: "EVENT_TYPE_CLICK" }),
      });
      expect(res.status).toBe(200);
    }
    await eventually(
      "the clicked item on top of trending",
      async () => ((await (await fetch(`${suite.mesh.restUrl}/v1/trending?limit=1`)).json()) as { items: { productId: string }[] }).items[0]?.productId === last || undefined,
      10_000,
    );
    // Trending all the way up: the item moves from last to first.
    await page.focus("#w-trending");
    const after = await moveSliderToEnd(page, /weights\.trending=1(&|$)/);
    expect(after[0]).toBe(last);
    expect(after).not.toEqual(before);
    expectNoProblems();
  });

  it("works from the keyboard with a visible focus ring: skip link, navigation, search, feedback", async () => {
    // A fresh load, so that sequential focus starts at the top of the document.
    await page.goto(url("#/"));
    await page.reload({ waitUntil: "load" });
    await page.waitForSelector("#for-you [data-product-id]");
    await page.keyboard.press("Tab");
    expect((await focusVisible(page)).text).toBe("Skip to content");
    await tabTo(page, (f) => f.tag === "a" && f.text === "Catalog");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#search");
    expect(await page.evaluate("location.hash")).toBe("#/catalog");
    // A word of a catalog title, so that the search finds something.
    const { products } = (await (await fetch(`${suite.mesh.restUrl}/v1/products?pageSize=1`)).json()) as { products: { title: string }[] };
    const word = products[0]!.title.split(/[^A-Za-z]+/).find((w) => w.length >= 4) ?? products[0]!.title;
    await tabTo(page, (f) => f.tag === "input");
    await page.keyboard.type(word);
    await page.keyboard.press("Enter");
    await page.waitForFunction((w) => (globalThis as unknown as { location: { hash: string } }).location.hash === `#/catalog?q=${encodeURIComponent(w).replace(/%20/g, "+")}`, {}, word);
    await page.waitForSelector(".catalog [data-product-id]");
    await expectNoAxeViolations();
    await tabTo(page, (f) => f.tag === "button" && f.text.startsWith("Like "));
    const liked = (await focusVisible(page)).text.slice("Like ".length);
    await page.keyboard.press("Enter");
    await page.waitForFunction((title) => ((globalThis as unknown as { document: { getElementById: (s: string) => { textContent: string | null } | null } }).document.getElementById("status")?.textContent ?? "").includes(`Recorded like on ${title}`), {}, liked);
    // The product page, by keyboard: focus moves to the page's content on navigation.
    await tabTo(page, (f) => f.tag === "a" && f.text.length > 0 && !["Catalog", "For you", "Blend playground", "Operator", "Sign out"].includes(f.text));
    await page.keyboard.press("Enter");
    await page.waitForSelector("#product-title");
    await page.waitForSelector("#similar [data-product-id]");
    expect((await focusVisible(page)).tag).toBe("main");
    await expectNoAxeViolations();
    expectNoProblems();
  });
  it("attributes a click on a product followed from the trending panel to trending, and one on a similar item to similar", async () => {
    expect((await clickThrough("LIST_TYPE_TRENDING")).clicks).toBe(0);
    expect((await clickThrough("LIST_TYPE_SIMILAR")).clicks).toBe(0);
    await page.goto(url("#/"));
    await page.waitForSelector("#trending a.product-link");
    await page.click("#trending a.product-link");
    await page.waitForSelector("#product-title");
    expect(await page.evaluate("location.hash")).toMatch(/^#\/product\/[^?]+\?rec=[0-9a-f-]{36}$/);
    await page.click("article button[data-action=click]");
    await eventually("TRENDING click-through above 0", async () => ((await clickThrough("LIST_TYPE_TRENDING")).clicks > 0 ? true : undefined), 10_000);
    await page.waitForSelector("#similar [data-product-id]");
    await page.click("#similar [data-product-id] button[data-action=click]");
    await eventually("SIMILAR click-through above 0", async () => ((await clickThrough("LIST_TYPE_SIMILAR")).clicks > 0 ? true : undefined), 10_000);
    expectNoProblems();
  });

  /** Waits until the text of `selector` matches `pattern` (a regular expression's source). */
  const textMatches = (selector: string, pattern: string, timeout = 15_000) =>
    page.waitForFunction(
      (sel, re) => new RegExp(re).test((globalThis as unknown as { document: { querySelector: (s: string) => { textContent: string | null } | null } }).document.querySelector(sel)?.textContent ?? ""),
      { timeout, polling: 50 },
      selector,
      pattern,
    );
  /** What this tab keeps: the session storage's service token, whether local storage or the URL hold it. */
  const stored = async (): Promise<{ session: string | null; inLocal: boolean; inUrl: boolean }> =>
    (await page.evaluate(`(() => {
      const token = sessionStorage.getItem("recsys.serviceToken");
      const local = Object.keys(localStorage).map((k) => localStorage.getItem(k) ?? "").join(" ");
      return { session: token, inLocal: token !== null && local.includes(token), inUrl: token !== null && location.href.includes(token) };
    })()`)) as { session: string | null; inLocal: boolean; inUrl: boolean };

  it("shows the serving status and click-through per list type for a pasted service token, refreshing on its own", async () => {
    await page.goto(url("#/"));
    await page.click('header nav a[href="#/operator"]');
    await page.waitForSelector("#service-token");
    expect(await page.$eval('header nav a[href="#/operator"]', (el) => el.getAttribute("aria-current"))).toBe("page");
    expect(await page.$("#operator-status")).toBeNull();
    await expectNoAxeViolations();
    // From the keyboard: the labelled password field, then Enter.
    expect(await page.$eval("#service-token", (el) => el.getAttribute("type"))).toBe("password");
    await page.focus("#service-token");
    await page.keyboard.type(OWN_MESH_SERVICE_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForSelector('#operator-ctr [data-list-type="for-you"]');
    await page.waitForSelector('#operator-status [data-figure="events-per-second"]');
    expect(await stored()).toEqual({ session: OWN_MESH_SERVICE_TOKEN, inLocal: false, inUrl: false });
    // The 20 clicks on a for-you card earlier: one attributed click, a click-through above 0.
    await textMatches('#operator-ctr [data-list-type="for-you"] [data-cell=clicks]', "^[1-9]");
    expect(await page.$eval('#operator-ctr [data-list-type="for-you"] [data-cell=rate]', (el) => el.textContent)).not.toBe("0.00 %");
    expect(await page.$$eval("#operator-ctr [data-list-type]", (els) => els.map((el) => el.getAttribute("data-list-type")))).toEqual(["for-you", "similar", "trending"]);
    // Events per second, outbox and lag come from the engagement service and Kafka (each left out
    // for a poll where its source did not answer within 2 s, hence waiting for a poll with them).
    await textMatches('#operator-status [data-figure="events-per-second"]', "^\\d+\\.\\d\\d$");
    await textMatches('#operator-status [data-figure="consumer-lag"]', "^\\d[\\d,]* messages$");
    await textMatches('#operator-status [data-figure="outbox-backlog"]', "^\\d[\\d,]* rows");
    expect(await page.$eval('#operator-status [data-figure="model"]', (el) => el.textContent)).toBeTruthy();
    expect(await page.$eval('#operator-status [data-figure="unavailable-signals"]', (el) => el.textContent)).toBeTruthy();
    expect(await page.$("#recent-errors, #recent-errors-none")).not.toBeNull();
    await textMatches("#operator-status-updated", "^updated \\d+ s ago$");
    // It asks again by itself: two more answers of each route without any input.
    for (let i = 0; i < 2; i++) {
      await Promise.all([
        page.waitForResponse((res) => res.url().includes("/v1/operator/status") && res.ok(), { timeout: 15_000 }),
        page.waitForResponse((res) => res.url().includes("/v1/operator/click-through-rates?windowSeconds=3600") && res.ok(), { timeout: 15_000 }),
      ]);
    }
    await expectNoAxeViolations();
    expectNoProblems();
  });

  it("names the route that refused a wrong token (401) or a user's token (403), and forgets the token", async () => {
    await page.click("#forget-token");
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById: (s: string) => unknown } }).document.getElementById("operator-status") === null);
    expect((await stored()).session).toBeNull();
    expect(await page.evaluate("document.activeElement?.id")).toBe("service-token");
    const before = problems.lines.length;
    await page.type("#service-token", "not-the-service-token");
    await page.click("#use-token");
    await textMatches("#operator-status-error", "^Serving status \\(GET /v1/operator/status\\) refused the token: 401");
    await textMatches("#operator-ctr-error", "^Click-through rates \\(GET /v1/operator/click-through-rates\\) refused the token: 401");
    await expectNoAxeViolations();
    // A signed-in user's own token: 403.
    const userToken = (JSON.parse((await page.evaluate('sessionStorage.getItem("recsys.session")')) as string) as { accessToken: string }).accessToken;
    await page.type("#service-token", userToken);
    await page.click("#use-token");
    await textMatches("#operator-status-error", "refused the token: 403 permission denied\\. It is a user's token");
    await textMatches("#operator-ctr-error", "refused the token: 403");
    expect(await stored()).toEqual({ session: userToken, inLocal: false, inUrl: false });
    await page.click("#forget-token");
    expect((await stored()).session).toBeNull();
    // Chromium logs each refused request as "Failed to load resource"; those (and only those) are expected here.
    const refused = problems.lines.splice(before);
    expect(refused.filter((line) => !/status of 40[13].*\/v1\/operator\//.test(line)), refused.join("\n")).toEqual([]);
    expectNoProblems();
  });
});
