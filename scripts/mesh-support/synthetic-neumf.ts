import { resolveNeuMFOptions } from "../../services/recommendation/src/models/ncf/neumf-options.js";
import { NeuMFScorer } from "../../services/recommendation/src/models/ncf/neumf-scorer.js";
import type { NeuMFWeights } from "../../services/recommendation/src/models/ncf/neumf-weights.js";
import { deriveSeed, gaussian, mulberry32 } from "../../services/recommendation/src/models/prng.js";
import { ncfArtifactRoot, writeNcfArtifact } from "../../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { syntheticLatentFactors, type SyntheticCatalogResult } from "./synthetic-catalog.js";

/** The `backend` recorded in a synthetic artifact's metrics.json: it was never trained. */
export const SYNTHETIC_NEUMF_BACKEND = "none (synthetic, untrained)";

/**
 * Writes an **untrained** NeuMF artifact of a synthetic catalog's shape into `<modelDir>/ncf/`, for
 * catalogs where training in the benchmark's time is not possible (1,000,000 items): what a
 * request costs depends on the model's shape (users, items, `gmfDim`, `mlpEmbeddingDim`,
 * `mlpLayers`), not on how well it was trained.
 *
 * Every user and every item of the catalog is in the model (ids "1".."users", "1".."items";
 * a trained model knows only the items that were rated). The GMF embeddings are the generator's
 * latent factors (syntheticLatentFactors, d = 16 = NeuMF's default `gmfDim`), and the prediction
 * layer weighs each GMF product 1, so the GMF half of the score is the affinity p_u·q_i the ratings
 * were drawn from and the rankings have the catalog's structure. Everything else is seeded small
 * noise: MLP embeddings N(0, 0.05²), MLP kernels N(0, 1/fan-in) (He initialisation halved), zero
 * biases, the MLP half of the prediction kernel N(0, 0.1²). The shape options are NeuMF's defaults
 * (DEFAULT_NEUMF_OPTIONS); metrics.json says backend {@link SYNTHETIC_NEUMF_BACKEND} and no epoch.
 *
 * @param modelDir - the model directory (`MODEL_DIR`); the artifact goes to `<modelDir>/ncf/<version>/`.
 * @param catalog - the synthetic catalog (its plan and last rating time).
 * @returns the artifact's version and directory.
 * @throws the file-system error when writing fails.
 */
export async function writeSyntheticNeuMFArtifact(modelDir: string, catalog: SyntheticCatalogResult): Promise<{ version: string; dir: string }> {
  const { plan } = catalog;
  const options = resolveNeuMFOptions({ gmfDim: plan.latentDim, epochs: 1, seed: plan.seed });
  const factors = syntheticLatentFactors(plan);
  const random = mulberry32(deriveSeed(plan.seed, "synthetic:neumf"));
  const noise = (length: number, std: number): Float32Array => gaussian(length, std, random);
  const d = options.mlpEmbeddingDim;
  const mlpKernels: Float32Array[] = [];
  const mlpBiases: Float32Array[] = [];
  let inputs = 2 * d;
  for (const width of options.mlpLayers) {
    mlpKernels.push(noise(inputs * width, Math.sqrt(1 / inputs)));
    mlpBiases.push(new Float32Array(width));
    inputs = width;
  }
  const outputKernel = new Float32Array(options.gmfDim + inputs);
  outputKernel.fill(1, 0, options.gmfDim);
  outputKernel.set(noise(inputs, 0.1), options.gmfDim);
  const weights: NeuMFWeights = {
    gmfUser: factors.users,
    gmfItem: factors.items,
    mlpUser: noise(plan.users * d, 0.05),
    mlpItem: noise(plan.items * d, 0.05),
    mlpKernels,
    mlpBiases,
    outputKernel,
    outputBias: new Float32Array(1),
  };
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));
  const scorer = new NeuMFScorer(ids(plan.users), ids(plan.items), weights, options);
  return writeNcfArtifact(ncfArtifactRoot(modelDir), {
    scorer,
    options,
    trainingMs: 0,
    epochs: [],
    backend: SYNTHETIC_NEUMF_BACKEND,
    data: {
      users: plan.users,
      items: plan.items,
      interactions: catalog.ratings,
      events: catalog.ratings,
      lastEventTimeMs: catalog.lastRatingS * 1000,
    },
  });
}
