import type { NeuMFOptions } from "./neumf-options.js";
import { type NeuMFWeights, weightsProblem } from "./neumf-weights.js";

/** The shape options a scorer needs. */
export type NeuMFShape = Pick<NeuMFOptions, "gmfDim" | "mlpEmbeddingDim" | "mlpLayers">;

/** One ranked item of {@link NeuMFScorer.topK}. */
export interface ScoredProduct {
  /** The item's id. */
  readonly productId: string;
  /** Predicted interaction probability ŷ in (0, 1). */
  readonly score: number;
}

/**
 * Scores users against items with a trained NeuMF model directly in TypeScript, without
 * TensorFlow.js (no `model.predict` per request): the weights are plain Float32Arrays read once.
 *
 * ŷ(u, i) = σ(hᵀ [p_uᴳ ⊙ q_iᴳ ; a_L] + b) with a_1 = ReLU(W_1ᵀ [p_uᴹ ; q_iᴹ] + b_1),
 * a_l = ReLU(W_lᵀ a_{l-1} + b_l) (He et al., WWW 2017, eq. 11, https://arxiv.org/abs/1708.05031).
 * The first MLP layer splits as W_1ᵀ [p; q] = W_1uᵀ p + W_1iᵀ q: each item's part (plus b_1) is
 * precomputed once at construction, so a user costs one W_1u product plus, per item, the layers
 * after the first (≈ 9.7k items × (32·16 + 16·8) multiply-adds with the default shape).
 *
 * Immutable after construction and safe to share; calls are synchronous (scratch buffers are
 * reused between calls, which is safe on one JavaScript thread).
 */
export class NeuMFScorer {
  /** Shape options of the model. */
  readonly shape: NeuMFShape;
  private readonly userIndex: ReadonlyMap<string, number>;
  private readonly itemIndex: ReadonlyMap<string, number>;
  /** `b_1 + W_1iᵀ q_iᴹ` per item, `[items × mlpLayers[0]]`. */
  private readonly itemFirstLayer: Float32Array;
  private readonly userFirstLayer: Float64Array;
  private readonly gmfUserWeighted: Float64Array;
  /** Scratch activations per MLP layer, `[items × width]`, grown on demand (calls are synchronous). */
  private scratch: Float32Array[] = [];

  /**
   * @param userIds - user ids in embedding-row order (no duplicates).
   * @param itemIds - item ids in embedding-row order (no duplicates).
   * @param weights - the model's weights, shaped for `shape` and these id maps.
   * @param shape - the model's shape options.
   * @throws RangeError when the weights do not fit the shape and id maps, or an id repeats.
   */
  constructor(
    readonly userIds: readonly string[],
    readonly itemIds: readonly string[],
    readonly weights: NeuMFWeights,
    shape: NeuMFShape,
  ) {
    this.shape = { gmfDim: shape.gmfDim, mlpEmbeddingDim: shape.mlpEmbeddingDim, mlpLayers: [...shape.mlpLayers] };
    const problem = weightsProblem(weights, shape, userIds.length, itemIds.length);
    if (problem) throw new RangeError(problem);
    this.userIndex = indexOf(userIds, "user");
    this.itemIndex = indexOf(itemIds, "item");

    const d = shape.mlpEmbeddingDim;
    const h0 = shape.mlpLayers[0]!;
    const w0 = weights.mlpKernels[0]!;
    const b0 = weights.mlpBiases[0]!;
    const items = itemIds.length;
    this.itemFirstLayer = new Float32Array(items * h0);
    const acc = new Float64Array(h0);
    for (let i = 0; i < items; i++) {
      acc.set(b0);
      const q = i * d;
      for (let k = 0; k < d; k++) {
        const x = weights.mlpItem[q + k]!;
        const row = (d + k) * h0; // item half of W_1: rows d .. 2d-1
        for (let j = 0; j < h0; j++) acc[j]! += x * w0[row + j]!;
      }
      this.itemFirstLayer.set(acc, i * h0);
    }
    this.userFirstLayer = new Float64Array(h0);
    this.gmfUserWeighted = new Float64Array(shape.gmfDim);
  }

  /** Number of users the model knows. */
  get userCount(): number {
    return this.userIds.length;
  }

  /** Number of items the model knows. */
  get itemCount(): number {
    return this.itemIds.length;
  }

  /** Whether the model has an embedding for this user (it was in the training data). */
  hasUser(userId: string): boolean {
    return this.userIndex.has(userId);
  }

  /** Whether the model has an embedding for this item (it was in the training data). */
  hasItem(productId: string): boolean {
    return this.itemIndex.has(productId);
  }

  /**
   * Predicted interaction probabilities of a user for the given items.
   *
   * @param userId - the user.
   * @param itemIds - the candidates.
   * @returns one score in (0, 1) per candidate, in order (NaN for an item the model does not
   *   know), or undefined when the model does not know the user.
   */
  score(userId: string, itemIds: readonly string[]): Float64Array | undefined {
    const u = this.userIndex.get(userId);
    if (u === undefined) return undefined;
    const rows = new Int32Array(itemIds.length);
    let known = 0;
    for (let c = 0; c < itemIds.length; c++) {
      const i = this.itemIndex.get(itemIds[c]!);
      rows[c] = i ?? -1;
      if (i !== undefined) known++;
    }
    if (known === itemIds.length) return this.scoreRows(u, rows);
    const knownRows = rows.filter((i) => i >= 0);
    const scores = this.scoreRows(u, knownRows);
    const out = new Float64Array(itemIds.length);
    for (let c = 0, k = 0; c < itemIds.length; c++) out[c] = rows[c]! >= 0 ? scores[k++]! : Number.NaN;
    return out;
  }

  /**
   * Scores by row index, for callers that hold indices (training validation, benchmarks).
   *
   * @param userRow - the user's embedding row, 0 ≤ userRow < userCount.
   * @param itemRows - item rows; all items when omitted.
   * @returns one probability per requested item (all items in row order when omitted).
   * @throws RangeError when a row is out of range.
   */
  scoreRows(userRow: number, itemRows?: ArrayLike<number>): Float64Array {
    if (!(userRow >= 0 && userRow < this.userIds.length)) throw new RangeError(`user row ${userRow} out of range`);
    const items = this.itemIds.length;
    if (itemRows) {
      for (let c = 0; c < itemRows.length; c++) {
        const i = itemRows[c]!;
        if (!(i >= 0 && i < items)) throw new RangeError(`item row ${i} out of range`);
      }
    }
    this.prepareUser(userRow);
    return this.scorePrepared(itemRows);
  }

  /**
   * The user's k best items over the whole catalog the model knows, best first (ties: lower
   * embedding row first).
   *
   * @param userId - the user.
   * @param k - how many items at most, ≥ 0.
   * @param exclude - item ids to leave out (for example what the user already saw).
   * @returns at most k items; empty when the model does not know the user.
   */
  topK(userId: string, k: number, exclude: Iterable<string> = []): ScoredProduct[] {
    const u = this.userIndex.get(userId);
    if (u === undefined || k <= 0) return [];
    const scores = this.scoreRows(u);
    for (const id of exclude) {
      const i = this.itemIndex.get(id);
      if (i !== undefined) scores[i] = Number.NEGATIVE_INFINITY;
    }
    return topRows(scores, k).map((i) => ({ productId: this.itemIds[i]!, score: scores[i]! }));
  }

  /** The row of an item, or undefined. */
  itemRow(productId: string): number | undefined {
    return this.itemIndex.get(productId);
  }

  /** The row of a user, or undefined. */
  userRow(userId: string): number | undefined {
    return this.userIndex.get(userId);
  }

  private prepareUser(u: number): void {
    const { gmfDim, mlpEmbeddingDim: d } = this.shape;
    const h0 = this.shape.mlpLayers[0]!;
    const w = this.weights;
    const w0 = w.mlpKernels[0]!;
    const first = this.userFirstLayer;
    first.fill(0);
    for (let k = 0; k < d; k++) {
      const x = w.mlpUser[u * d + k]!;
      const row = k * h0; // user half of W_1: rows 0 .. d-1
      for (let j = 0; j < h0; j++) first[j]! += x * w0[row + j]!;
    }
    for (let k = 0; k < gmfDim; k++) this.gmfUserWeighted[k] = w.gmfUser[u * gmfDim + k]! * w.outputKernel[k]!;
  }

  /**
   * Scores the prepared user against `itemRows` (all items when undefined), layer by layer over
   * all items at once: each layer is one tight loop over contiguous Float32Arrays.
   */
  private scorePrepared(itemRows: ArrayLike<number> | undefined): Float64Array {
    const { gmfDim, mlpLayers } = this.shape;
    const w = this.weights;
    const n = itemRows ? itemRows.length : this.itemIds.length;
    if ((this.scratch[0]?.length ?? 0) < n * mlpLayers[0]!) this.scratch = mlpLayers.map((width) => new Float32Array(n * width));

    // Layer 1: ReLU(user part + precomputed item part).
    const h0 = mlpLayers[0]!;
    const first = this.userFirstLayer;
    const itemPart = this.itemFirstLayer;
    let a = this.scratch[0]!;
    for (let c = 0; c < n; c++) {
      const base = (itemRows ? itemRows[c]! : c) * h0;
      const o = c * h0;
      for (let j = 0; j < h0; j++) {
        const z = first[j]! + itemPart[base + j]!;
        a[o + j] = z > 0 ? z : 0;
      }
    }
    // Layers 2…L.
    for (let l = 1; l < mlpLayers.length; l++) {
      const next = this.scratch[l]!;
      denseRelu(a, mlpLayers[l - 1]!, n, w.mlpKernels[l]!, mlpLayers[l]!, w.mlpBiases[l]!, next);
      a = next;
    }
    // Prediction layer: h · [GMF; a_L] + b, then the sigmoid.
    const last = mlpLayers[mlpLayers.length - 1]!;
    const out = new Float64Array(n);
    const gmfUser = this.gmfUserWeighted;
    const gmfItem = w.gmfItem;
    const outKernel = w.outputKernel;
    const outBias = w.outputBias[0]!;
    for (let c = 0; c < n; c++) {
      const g = (itemRows ? itemRows[c]! : c) * gmfDim;
      let logit = outBias;
      for (let k = 0; k < gmfDim; k++) logit += gmfUser[k]! * gmfItem[g + k]!;
      const o = c * last;
      for (let j = 0; j < last; j++) logit += a[o + j]! * outKernel[gmfDim + j]!;
      out[c] = 1 / (1 + Math.exp(-logit));
    }
    return out;
  }
}

/**
 * One dense ReLU layer over n rows: `out[c, j] = max(0, bias[j] + Σ_r x[c, r] · kernel[r, j])`.
 * Outputs are computed 8 (then 4, then 1) at a time in local accumulators, reading the kernel rows
 * of the non-zero inputs only (ReLU leaves many zeros): about 2.5× faster than one accumulator array.
 */
function denseRelu(x: Float32Array, inputs: number, n: number, kernel: Float32Array, outputs: number, bias: Float32Array, out: Float32Array): void {
  for (let c = 0; c < n; c++) {
    const xi = c * inputs;
    const o = c * outputs;
    let j = 0;
    for (; j + 8 <= outputs; j += 8) {
      let s0 = bias[j]!, s1 = bias[j + 1]!, s2 = bias[j + 2]!, s3 = bias[j + 3]!;
      let s4 = bias[j + 4]!, s5 = bias[j + 5]!, s6 = bias[j + 6]!, s7 = bias[j + 7]!;
      for (let r = 0; r < inputs; r++) {
        const v = x[xi + r]!;
        if (v === 0) continue;
        const k = r * outputs + j;
        s0 += v * kernel[k]!;
        s1 += v * kernel[k + 1]!;
        s2 += v * kernel[k + 2]!;
        s3 += v * kernel[k + 3]!;
        s4 += v * kernel[k + 4]!;
        s5 += v * kernel[k + 5]!;
        s6 += v * kernel[k + 6]!;
        s7 += v * kernel[k + 7]!;
      }
      out[o + j] = s0 > 0 ? s0 : 0;
      out[o + j + 1] = s1 > 0 ? s1 : 0;
      out[o + j + 2] = s2 > 0 ? s2 : 0;
      out[o + j + 3] = s3 > 0 ? s3 : 0;
      out[o + j + 4] = s4 > 0 ? s4 : 0;
      out[o + j + 5] = s5 > 0 ? s5 : 0;
      out[o + j + 6] = s6 > 0 ? s6 : 0;
      out[o + j + 7] = s7 > 0 ? s7 : 0;
    }
    for (; j + 4 <= outputs; j += 4) {
      let s0 = bias[j]!, s1 = bias[j + 1]!, s2 = bias[j + 2]!, s3 = bias[j + 3]!;
      for (let r = 0; r < inputs; r++) {
        const v = x[xi + r]!;
        if (v === 0) continue;
        const k = r * outputs + j;
        s0 += v * kernel[k]!;
        s1 += v * kernel[k + 1]!;
        s2 += v * kernel[k + 2]!;
        s3 += v * kernel[k + 3]!;
      }
      out[o + j] = s0 > 0 ? s0 : 0;
      out[o + j + 1] = s1 > 0 ? s1 : 0;
      out[o + j + 2] = s2 > 0 ? s2 : 0;
      out[o + j + 3] = s3 > 0 ? s3 : 0;
    }
    for (; j < outputs; j++) {
      let s = bias[j]!;
      for (let r = 0; r < inputs; r++) s += x[xi + r]! * kernel[r * outputs + j]!;
      out[o + j] = s > 0 ? s : 0;
    }
  }
}

/**
 * Indices of the k largest finite-or-infinite values (−∞ entries are never returned), best
 * first, ties by lower index; a bounded min-heap, O(n log k).
 */
export function topRows(scores: ArrayLike<number>, k: number): number[] {
  const heap: number[] = []; // min-heap of indices by (score asc, index desc)
  const worse = (a: number, b: number): boolean => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const siftDown = (start: number): void => {
    let p = start;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === p) return;
      [heap[p], heap[m]] = [heap[m]!, heap[p]!];
      p = m;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === Number.NEGATIVE_INFINITY || Number.isNaN(s)) continue;
    if (heap.length < k) {
      heap.push(i);
      let c = heap.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c]!, heap[p]!)) break;
        [heap[p], heap[c]] = [heap[c]!, heap[p]!];
        c = p;
      }
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

function indexOf(ids: readonly string[], kind: string): Map<string, number> {
  const index = new Map<string, number>();
  ids.forEach((id, row) => {
    if (index.has(id)) throw new RangeError(`${kind} id "${id}" appears twice in the id map`);
    index.set(id, row);
  });
  return index;
}
