import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config-docs.js";

const run = promisify(execFile);

/** Runs the probe as a container healthcheck does; resolves to its exit status. */
async function probe(...args: string[]): Promise<number> {
  try {
    await run(process.execPath, ["--import", "tsx", "scripts/docker/grpc-health-probe.ts", ...args], { cwd: REPO_ROOT });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe("grpc-health-probe.ts (the compose healthcheck)", () => {
  const server = new grpc.Server();
  const health = new HealthImplementation({ "": "SERVING", liveness: "SERVING", "recsys.product.v1.ProductService": "NOT_SERVING" });
  let address = "";

  beforeAll(async () => {
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  it("exits 0 for SERVING, 1 for NOT_SERVING or an unknown service, 2 for a bad argument", async () => {
    expect(await probe(address)).toBe(0);
    expect(await probe(address, "liveness")).toBe(0);
    expect(await probe(address, "recsys.product.v1.ProductService")).toBe(1);
    expect(await probe(address, "no.such.Service")).toBe(1);
    expect(await probe("not-an-address")).toBe(2);
  });

  it("exits 1 when nothing listens", async () => {
    server.forceShutdown();
    expect(await probe(address, "", "500")).toBe(1);
  });
});
