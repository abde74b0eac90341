import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "puppeteer-core";
export { CHROMIUM_PATH, launchChromium } from "../../scripts/console/chromium.js";

/** The console errors, uncaught exceptions and failed requests a page has shown so far (see {@link watchPage}). */
export interface PageProblems {
  /** One line per problem, for an assertion message. */
  readonly lines: string[];
}

/**
 * Records every console error, uncaught exception and failed request (not an aborted one: a
 * component that unmounts cancels its fetch) of a page, so a test can assert there were none.
 */
export function watchPage(page: Page): PageProblems {
  const lines: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") lines.push(`console.error: ${message.text()} (${message.location().url ?? ""})`);
  });
  page.on("pageerror", (err) => lines.push(`uncaught: ${err instanceof Error ? err.message : String(err)}`));
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    if (reason !== "net::ERR_ABORTED") lines.push(`request failed: ${request.method()} ${request.url()}: ${reason}`);
  });
  return { lines };
}

/** One axe-core rule violation, as `axe.run` reports it (the fields a failure message needs). */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core (https://github.com/dequelabs/axe-core) on the page as it is: the WCAG 2.x A and AA
 * rules and axe's best practices (labels, contrast, alt text, landmarks, headings, ARIA). The
 * script is evaluated through the DevTools protocol, which the page's CSP does not govern.
 *
 * @returns the violations (none is the goal), each with the offending elements.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

/** A readable list of axe violations for an assertion message. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${JSON.stringify(n.target)} ${n.failureSummary ?? ""}`).join("\n")}`).join("\n");
}
