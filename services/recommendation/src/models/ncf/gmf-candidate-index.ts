import { Index, MetricKind, ScalarKind } from "usearch";
import { type NeuMFScorer, topRows } from "./neumf-scorer.js";

/** Settings of a {@link GmfCandidateIndex} (HNSW parameters, Malkov and Yashunin 2018). */
export interface GmfCandidateIndexOptions {
  /** HNSW `M`: links per node per layer (default 16). More: better recall, more memory. */
  readonly connectivity?: number;
  /** HNSW `efConstruction`: candidate list while inserting (default 128). */
  readonly expansionAdd?: number;
  /**
   * HNSW `ef`: candidate list while searching (default 256; a search for k > ef widens it to k).
   * More: better recall, slower searches.
   */
  readonly expansionSearch?: number;
  /**
   * Items inserted per event-loop turn while building (default 4,096): each insertion batch is
   * one synchronous native call, so smaller batches keep the process answering during a build.
   */
  readonly batchSize?: number;
  /** Native threads per insertion batch (default 0: as many as the machine has). */
  readonly threads?: number;
}

/**
 * Approximate candidate retrieval for NeuMF over catalogs too large to score every item per user:
 * a hierarchical navigable small-world graph (HNSW: Malkov and Yashunin, "Efficient and robust
 * approximate nearest neighbor search using Hierarchical Navigable Small World graphs", IEEE TPAMI
 * 2018, https://arxiv.org/abs/1603.09320), by the `usearch` library, over the items' GMF
 * embeddings q_iᴳ.
 *
 * Why GMF: NeuMF's logit is `h_Gᵀ (p_uᴳ ⊙ q_iᴳ) + h_Mᵀ a_L(u, i) + b` (He et al., WWW 2017, eq. 11),
 * whose GMF part is an inner product `(h_G ⊙ p_uᴳ) · q_iᴳ` between a per-user query vector and the
 * item embedding — a maximum-inner-product search. The MLP part is not, so the index retrieves a
 * pool of items by the GMF part and the caller re-scores the pool with the whole NeuMF model
 * (retrieval, then ranking: Covington et al., RecSys 2016). How much of NeuMF's exact top-k the
 * pool holds is measured by `npm run bench:ann-recall`.
 *
 * The maximum-inner-product search is turned into a nearest-neighbour search in Euclidean space
 * with one extra dimension (Bachrach et al., "Speeding Up the Xbox Recommender System Using a
 * Euclidean Transformation for Inner-Product Spaces", RecSys 2014): each item is indexed as
 * `[q_i ; √(Φ² − ‖q_i‖²)]` with Φ the largest item norm, the query is `[h_G ⊙ p_u ; 0]`, and
 * `‖q̃ − ĩ‖² = ‖q̃‖² + Φ² − 2 q̃·ĩ`, so the nearest items by squared L2 distance are exactly those of
 * largest inner product. HNSW's graph is built for a metric, and on trained embeddings (whose norms
 * vary, popular items' more) the plain inner-product graph loses about a quarter of the exact
 * top-2,000 where the transformed one does not (`npm run bench:ann-recall`).
 *
 * Keys are the scorer's item embedding rows. Immutable once built; searches are synchronous.
 */
export class GmfCandidateIndex {
  private readonly query: Float32Array;

  private constructor(
    private readonly scorer: NeuMFScorer,
    private readonly index: Index,
    /** Wall time the build took, in ms. */
    readonly buildMs: number,
  ) {
    this.query = new Float32Array(scorer.shape.gmfDim + 1); // the last entry stays 0
  }

  /**
   * Builds the index over every item the scorer knows, inserting `batchSize` items per event-loop
   * turn (`setImmediate` between batches), so requests interleave with a build.
   *
   * @param scorer - the NeuMF model whose GMF item embeddings are indexed.
   * @param options - HNSW parameters and batching.
   * @returns the built index (about ((gmfDim + 1)·4 + connectivity·2·4) bytes per item of native memory).
   * @throws RangeError when an option is not a positive integer.
   */
  static async build(scorer: NeuMFScorer, options: GmfCandidateIndexOptions = {}): Promise<GmfCandidateIndex> {
    const started = performance.now();
    const connectivity = positive("connectivity", options.connectivity ?? 16);
    const expansionAdd = positive("expansionAdd", options.expansionAdd ?? 128);
    const expansionSearch = positive("expansionSearch", options.expansionSearch ?? 256);
    const batchSize = positive("batchSize", options.batchSize ?? 4_096);
    const threads = options.threads ?? 0;
    const dim = scorer.shape.gmfDim;
    const index = new Index({
      dimensions: dim + 1,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity,
      expansion_add: expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
    const items = scorer.itemCount;
    const embeddings = scorer.weights.gmfItem;
    const squaredNorms = new Float64Array(items);
    let maxSquaredNorm = 0;
    for (let i = 0; i < items; i++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += embeddings[i * dim + k]! ** 2;
      squaredNorms[i] = sum;
      maxSquaredNorm = Math.max(maxSquaredNorm, sum);
    }
    for (let from = 0; from < items; from += batchSize) {
      const to = Math.min(items, from + batchSize);
      const keys = new BigUint64Array(to - from);
      const vectors = new Float32Array((to - from) * (dim + 1));
      for (let i = from; i < to; i++) {
        keys[i - from] = BigInt(i);
        const o = (i - from) * (dim + 1);
        vectors.set(embeddings.subarray(i * dim, (i + 1) * dim), o);
        vectors[o + dim] = Math.sqrt(Math.max(0, maxSquaredNorm - squaredNorms[i]!));
      }
      index.add(keys, vectors, threads);
      if (to < items) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return new GmfCandidateIndex(scorer, index, performance.now() - started);
  }

  /** Number of items indexed. */
  get size(): number {
    return this.index.size();
  }

  /**
   * The GMF query vector of a user, `[h_G ⊙ p_uᴳ ; 0]` (the first gmfDim entries of the prediction
   * kernel times the user's GMF embedding), into a reused buffer.
   */
  private queryOf(userRow: number): Float32Array {
    const { gmfUser, outputKernel } = this.scorer.weights;
    const dim = this.query.length - 1;
    for (let k = 0; k < dim; k++) this.query[k] = gmfUser[userRow * dim + k]! * outputKernel[k]!;
    return this.query;
  }

  /** The exact GMF inner products `(h_G ⊙ p_u) · q_i` of one user with every item, in item-row order. */
  private innerProducts(userRow: number): Float64Array {
    const query = this.queryOf(userRow);
    const embeddings = this.scorer.weights.gmfItem;
    const dim = query.length - 1;
    const out = new Float64Array(this.scorer.itemCount);
    for (let i = 0; i < out.length; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += query[d]! * embeddings[i * dim + d]!;
      out[i] = dot;
    }
    return out;
  }

  /**
   * The items of (approximately) largest GMF inner product with a user's query vector (nearest
   * by squared L2 distance in the transformed space).
   *
   * @param userRow - the user's embedding row, 0 ≤ userRow < scorer.userCount.
   * @param k - how many items at most, ≥ 1.
   * @returns item embedding rows, largest inner product first (at most k, fewer for a small index).
   *   For k ≥ size it is every item, ranked exactly: an HNSW graph search is approximate even then
   *   (an item the greedy walk never reaches is left out), and scoring every item is what an index
   *   that small costs anyway.
   * @throws RangeError when the row is out of range.
   */
  search(userRow: number, k: number): Int32Array {
    if (!(userRow >= 0 && userRow < this.scorer.userCount)) throw new RangeError(`user row ${userRow} out of range`);
    const size = this.index.size();
    if (k >= size) return Int32Array.from(topRows(this.innerProducts(userRow), size));
    const matches = this.index.search(this.queryOf(userRow), k, 1);
    const rows = new Int32Array(matches.keys.length);
    for (let i = 0; i < rows.length; i++) rows[i] = Number(matches.keys[i]!);
    return rows;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
