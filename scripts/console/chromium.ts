import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's Chromium (`apt-get install chromium`, done by scripts/provision.sh); `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Starts headless Chromium for a browser test: the new headless mode, no sandbox (the tests run as
 * root), no GPU, /tmp instead of a small /dev/shm.
 *
 * @throws Error naming the path when Chromium is not installed (a browser suite fails, never skips).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run scripts/provision.sh (apt-get install chromium) or set CHROMIUM_PATH`);
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
    defaultViewport: { width: 1280, height: 900 },
  });
}

