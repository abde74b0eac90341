import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EdgeOptions, Upstream } from "../../envoy/render-config.js";
import { startEnvoy, writeEnvoyConfig, type EnvoyHandle } from "../../scripts/infra/envoy.js";
import { ensureDescriptorSet } from "../../scripts/mesh.js";
import { testMesh } from "../support/mesh.js";

/**
 * Ports of the private Envoys that the edge suites start beside the shared test mesh (listener,
 * admin): below the ephemeral range and clear of the dev, test, fault-mesh and bench presets
 * (28080/29901, 28100-28113/29960-29973).
 */
export const PRIVATE_EDGE_PORTS = {
  cors: { port: 28_240, adminPort: 29_990 },
  tls: { port: 28_241, adminPort: 29_991 },
} as const;

/** A private Envoy started by {@link startPrivateEdge}. */
export interface PrivateEdge {
  /** The running Envoy (`url` is `https://` with TLS). */
  readonly envoy: EnvoyHandle;
  /** Stops Envoy and removes its data directory. */
  stop(): Promise<void>;
}

/** `host:port` as an Envoy upstream. */
function upstreamOf(address: string): Upstream {
  const colon = address.lastIndexOf(":");
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/**
 * Starts an Envoy of its own, rendered by envoy/render-config.ts with the given edge options, in
 * front of the shared test mesh's four services (`testMesh().grpc`): what `npm start` runs with
 * those options, without a second mesh.
 *
 * @param name - names the temporary data directory.
 * @param ports - listener and admin port, from {@link PRIVATE_EDGE_PORTS}.
 * @param edge - body limit, CORS origins, TLS files.
 * @returns the running Envoy and its `stop()`.
 * @throws as `startEnvoy` does (a port in use, a configuration Envoy refuses).
 */
export async function startPrivateEdge(name: string, ports: { port: number; adminPort: number }, edge: EdgeOptions): Promise<PrivateEdge> {
  const grpc = testMesh().grpc;
  const dataDir = mkdtempSync(path.join(tmpdir(), `recsys-edge-${name}-`));
  try {
    const configPath = writeEnvoyConfig({
      dataDir,
      ...ports,
      descriptorPath: await ensureDescriptorSet(),
      upstreams: {
        recommendation: upstreamOf(grpc.recommendation),
        product: upstreamOf(grpc.product),
        user: upstreamOf(grpc.user),
        engagement: upstreamOf(grpc.engagement),
      },
      ...edge,
    });
    const envoy = await startEnvoy({ dataDir, configPath, ...ports, logFile: path.join(dataDir, "envoy.log"), tls: edge.tls !== undefined });
    return {
      envoy,
      async stop() {
        await envoy.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
