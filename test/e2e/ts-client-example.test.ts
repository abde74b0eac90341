import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/infra/paths.js";
import { testMesh } from "../support/mesh.js";

// The README's TypeScript client example is docs/examples/ts-client.ts, run here against the test
// mesh as a reader would run it (tsx, RECSYS_URL pointing at Envoy).

const EXAMPLE = path.join(REPO_ROOT, "docs", "examples", "ts-client.ts");

describe("the README's TypeScript client example", () => {
  it("is docs/examples/ts-client.ts, verbatim", () => {
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const block = /<!-- ts-client-example:begin -->\n```ts\n([\s\S]*?)```\n<!-- ts-client-example:end -->/.exec(readme);
    expect(block, "README.md has no ts-client-example block").not.toBeNull();
    expect(block![1]).toBe(readFileSync(EXAMPLE, "utf8"));
  });

  it("prints the product and its three most similar products through Envoy", async () => {
    const { stdout } = await promisify(execFile)(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), [EXAMPLE], {
      cwd: REPO_ROOT,
      env: { ...process.env, RECSYS_URL: testMesh().restUrl },
      timeout: 60_000,
    });
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Toy Story (1995) [Adventure, Animation, Children, Comedy, Fantasy]");
    expect(lines.slice(1)).toHaveLength(3);
    for (const line of lines.slice(1)) expect(line).toMatch(/^similar: .+ \(score [01]\.\d\d: .+\)$/);
  });
});
