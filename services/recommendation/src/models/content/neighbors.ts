import type { TfIdfModel } from "./tfidf.js";

/** One precomputed neighbour of a product. */
export interface Neighbor {
  /** The neighbouring product. */
  readonly productId: string;
  /** Cosine similarity to the product, in (0, 1]. */
  readonly score: number;
}

/** Options of {@link computeNeighbors}. */
export interface NeighborOptions {
  /** Neighbours kept per product, the top-k by cosine (default 50). */
  readonly k?: number;
  /**
   * Terms with a document frequency above this many documents are skipped while accumulating
   * (default: none skipped). Skipping very common terms bounds the work (the cost is
   * Σ_t df(t)², dominated by the biggest genres), at the price of under-counting similarities
   * that rest on such terms; on the 9,742 MovieLens movies the exact computation takes about a
   * second, so no cap is needed there.
   */
  readonly maxDocumentFrequency?: number;
}

/**
 * Computes the top-k most similar documents of every document of a TF-IDF model, by cosine
 * similarity, without comparing all pairs: term-at-a-time score accumulation over an inverted
 * index (Manning, Raghavan and Schütze, *Introduction to Information Retrieval*, 2008, §6.3.3,
 * "Computing vector scores", https://nlp.stanford.edu/IR-book/pdf/06vect.pdf) with each document
 * used as the query, then a size-k min-heap over the documents it touched.
 *
 * Only documents sharing at least one term get a score, so neighbours have cosine > 0. Ties are
 * broken by corpus order (earlier first), so the result is deterministic. A document is never its
 * own neighbour.
 *
 * @param model - the TF-IDF model (vectors L2-normalised).
 * @param options - k and the optional document-frequency cap.
 * @returns for each document (same order as `model.ids`), its neighbours, best first.
 */
export function computeNeighbors(model: TfIdfModel, options: NeighborOptions = {}): Neighbor[][] {
  const k = options.k ?? 50;
  const maxDf = options.maxDocumentFrequency ?? Number.POSITIVE_INFINITY;
  const n = model.vectors.length;

  // Inverted index: for each term, the documents containing it and the term's weight in each.
  const postingDocs: Int32Array[] = [];
  const postingWeights: Float64Array[] = [];
  const fill = new Int32Array(model.df.length);
  for (let t = 0; t < model.df.length; t++) {
    postingDocs.push(new Int32Array(model.df[t]!));
    postingWeights.push(new Float64Array(model.df[t]!));
  }
  for (let d = 0; d < n; d++) {
    const v = model.vectors[d]!;
    for (let i = 0; i < v.terms.length; i++) {
      const t = v.terms[i]!;
      const at = fill[t]!++;
      postingDocs[t]![at] = d;
      postingWeights[t]![at] = v.weights[i]!;
    }
  }

  const accumulator = new Float64Array(n);
  const touched = new Int32Array(n);
  const heap = new TopK(k);
  const result: Neighbor[][] = [];
  for (let d = 0; d < n; d++) {
    const v = model.vectors[d]!;
    let touchedCount = 0;
    for (let i = 0; i < v.terms.length; i++) {
      const t = v.terms[i]!;
      if (model.df[t]! > maxDf) continue;
      const w = v.weights[i]!;
      const docs = postingDocs[t]!;
      const weights = postingWeights[t]!;
      for (let p = 0; p < docs.length; p++) {
        const other = docs[p]!;
        if (accumulator[other] === 0) touched[touchedCount++] = other;
        accumulator[other]! += w * weights[p]!;
      }
    }
    heap.clear();
    for (let i = 0; i < touchedCount; i++) {
      const other = touched[i]!;
      const score = accumulator[other]!;
      accumulator[other] = 0;
      if (other !== d && score > 0) heap.offer(other, score);
    }
    result.push(heap.drain().map(([doc, score]) => ({ productId: model.ids[doc]!, score })));
  }
  return result;
}

/**
 * A bounded min-heap keeping the k best (document, score) pairs; "better" means a higher score,
 * then a lower document index.
 */
class TopK {
  private readonly docs: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.docs = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  /** Keeps (doc, score) if it is among the k best seen since the last clear. */
  offer(doc: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      this.docs[this.size] = doc;
      this.scores[this.size] = score;
      this.up(this.size++);
    } else if (this.worse(this.docs[0]!, this.scores[0]!, doc, score)) {
      this.docs[0] = doc;
      this.scores[0] = score;
      this.down(0);
    }
  }

  /** Returns the kept pairs, best first, and empties the heap. */
  drain(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) out.push([this.docs[i]!, this.scores[i]!]);
    this.size = 0;
    return out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  }

  /** True when (docA, scoreA) ranks below (docB, scoreB). */
  private worse(docA: number, scoreA: number, docB: number, scoreB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && docA > docB);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(this.docs[i]!, this.scores[i]!, this.docs[parent]!, this.scores[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < this.size && this.worse(this.docs[left]!, this.scores[left]!, this.docs[worst]!, this.scores[worst]!)) worst = left;
      if (right < this.size && this.worse(this.docs[right]!, this.scores[right]!, this.docs[worst]!, this.scores[worst]!)) worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(a: number, b: number): void {
    const d = this.docs[a]!;
    const s = this.scores[a]!;
    this.docs[a] = this.docs[b]!;
    this.scores[a] = this.scores[b]!;
    this.docs[b] = d;
    this.scores[b] = s;
  }
}
