import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CONFIG_DOC_SECTIONS,
  CONFIG_DOCS_BEGIN,
  CONFIG_DOCS_END,
  configVariables,
  describeAllowed,
  renderConfigDocs,
  spliceConfigDocs,
} from "./config-docs.js";

describe("config docs", () => {
  it("lists every field of a schema by itself, with its default, bounds and description", () => {
    const schema = z.object({
      A_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe("How long, in ms."),
      B_MODE: z.enum(["x", "y"]).default("x").describe("Which mode."),
      C_PORT: z.union([z.literal("off"), z.coerce.number().int().min(0).max(65535)]).optional().describe("A port."),
      D_LIST: z.string().default("a,b").transform((s) => s.split(",")).describe("A list."),
    });
    expect(configVariables(schema)).toEqual([
      { name: "A_MS", defaultValue: "500", allowed: "integer 10 to 60,000", description: "How long, in ms." },
      { name: "B_MODE", defaultValue: "x", allowed: "`x` \\| `y`", description: "Which mode." },
      { name: "C_PORT", defaultValue: "—", allowed: "`off` or integer 0 to 65,535", description: "A port." },
      { name: "D_LIST", defaultValue: "a,b", allowed: "", description: "A list." },
    ]);
  });

  it("refuses a field without a description, naming it", () => {
    const schema = z.object({ OK: z.string().describe("Fine."), NEW_HEALTH_THING: z.string().default("") });
    expect(() => configVariables(schema)).toThrow(/NEW_HEALTH_THING/);
  });

  it("describes bounds in words", () => {
    expect(describeAllowed({ type: "number", exclusiveMinimum: 0, maximum: 1 })).toBe("number > 0 to 1");
    expect(describeAllowed({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER })).toBe("integer ≥ 0");
    expect(describeAllowed({ type: "string", pattern: "^[A-Za-z0-9.\\-[\\]:]+:\\d{1,5}$" })).toBe("`host:port`");
    expect(describeAllowed({ type: "string", minLength: 32 })).toBe("at least 32 characters");
  });

  it("documents every variable of every process's schema (a new field shows up once described)", () => {
    const rendered = renderConfigDocs();
    for (const section of CONFIG_DOC_SECTIONS) {
      expect(rendered).toContain(`#### ${section.title}`);
      for (const schema of section.schemas) {
        for (const v of configVariables(schema)) expect(rendered).toContain(`| \`${v.name}\` |`);
      }
    }
    // No machine-specific path leaks in (MODEL_DIR's default is under the checkout).
    expect(rendered).not.toContain(process.cwd());
    expect(rendered).toContain("`<repo>/.run/dev/models`");
  });

  it("replaces exactly the block between the markers", () => {
    const doc = `intro\n${CONFIG_DOCS_BEGIN}\nold table\n${CONFIG_DOCS_END}\noutro\n`;
    const next = spliceConfigDocs(doc, "new table\n");
    expect(next).toBe(`intro\n${CONFIG_DOCS_BEGIN}\n\nnew table\n\n${CONFIG_DOCS_END}\noutro\n`);
    expect(spliceConfigDocs(next, "new table\n")).toBe(next);
    expect(() => spliceConfigDocs("no markers", "x")).toThrow(/config-docs:begin/);
  });
});
