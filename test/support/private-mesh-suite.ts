import { afterAll, beforeAll } from "vitest";
import { startOwnMesh, type OwnMeshOptions } from "../../scripts/mesh-support/private-mesh.js";
import type { Mesh } from "../../scripts/mesh.js";

/** How long a private mesh may take to start (a queue behind another file's mesh included), in ms. */
const START_TIMEOUT_MS = 600_000;

/** The running mesh of one suite (see {@link usePrivateMesh}). */
export interface PrivateMeshSuite {
  /**
   * The mesh started by the suite's `beforeAll`.
   *
   * @throws Error when read before `beforeAll` ran or after it failed.
   */
  readonly mesh: Mesh;
}

/**
 * Gives the enclosing `describe` (a fault test file) a private mesh: started in `beforeAll` with
 * `startOwnMesh(options)` (own ports, fresh data, one mesh at a time on the machine) and stopped in
 * `afterAll`.
 *
 * @param options - the mesh's name, ports and extras (see `OwnMeshOptions`).
 * @returns the suite's handle; read `mesh` inside tests.
 */
export function usePrivateMesh(options: OwnMeshOptions): PrivateMeshSuite {
  let mesh: Mesh | undefined;
  beforeAll(async () => {
    mesh = await startOwnMesh(options);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await mesh?.stop();
  });
  return {
    get mesh(): Mesh {
      if (!mesh) throw new Error(`private mesh ${options.name} is not running`);
      return mesh;
    },
  };
}
