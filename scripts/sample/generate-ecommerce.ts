/**
 * `npx tsx scripts/sample/generate-ecommerce.ts [--seed N] [--out DIR]`: writes the synthetic
 * e-commerce sample (scripts/sample/ecommerce-sample.ts: 3,000 products, 500 users, 20,000 events as
 * JSON Lines and CSV) into DIR (default docs/samples/ecommerce), seed 42 by default. The same seed
 * writes the same bytes; the committed sample is seed 42 (scripts/sample/ecommerce-sample.test.ts
 * checks it).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../infra/paths.js";
import { generateEcommerceSample } from "./ecommerce-sample.js";

/** Where the committed sample lives. */
export const ECOMMERCE_SAMPLE_DIR = path.join(REPO_ROOT, "docs", "samples", "ecommerce");

const { values } = parseArgs({ options: { seed: { type: "string", default: "42" }, out: { type: "string", default: ECOMMERCE_SAMPLE_DIR } } });
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });
for (const [name, text] of Object.entries(generateEcommerceSample({ seed }))) {
  writeFileSync(path.join(values.out, name), text);
  console.log(`${path.join(values.out, name)}: ${Buffer.byteLength(text)} bytes`);
}
