import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBatchSender, resolveToken } from "./import-target.js";
import { ImportUnavailableError, runImport } from "./run-import.js";

describe("createBatchSender deadlines", () => {
  // A server that accepts connections and never answers: a hung or black-holed target.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  let address = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("fails a call to a silent target with DEADLINE_EXCEEDED instead of hanging", async () => {
    const sender = createBatchSender("users", { target: address, token: "t", timeoutMs: 300 });
    const err = await sender.send([{ fields: { user_id: "u1", username: "ada" }, attributes: {} }]).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("turns it into an ImportUnavailableError naming the target", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "import-deadline-"));
    const file = path.join(dir, "users.jsonl");
    writeFileSync(file, '{"user_id":"u1","username":"ada"}\n');
    const sender = createBatchSender("users", { target: address, token: "t", timeoutMs: 300 });
    const err = await runImport({ kind: "users", file, mapping: {}, sender, checkpointDir: dir, progress: "silent" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^users: ${address} is not answering \\(deadline exceeded\\)`));
  });
});

describe("resolveToken", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "import-token-"));
  const secrets = path.join(dir, "secrets.env");
  writeFileSync(secrets, "# generated\nJWT_SECRET=j\nSERVICE_TOKEN=from-file\n");

  it("takes --token, else SERVICE_TOKEN, else the development secrets file, else says where one comes from", () => {
    expect(resolveToken("flag", { SERVICE_TOKEN: "env" }, secrets)).toBe("flag");
    expect(resolveToken(undefined, { SERVICE_TOKEN: "env" }, secrets)).toBe("env");
    expect(resolveToken(undefined, {}, secrets)).toBe("from-file");
    expect(() => resolveToken(undefined, {}, path.join(dir, "missing.env"))).toThrow(/no service token: pass --token, set SERVICE_TOKEN, or start the local mesh/);
  });
});
