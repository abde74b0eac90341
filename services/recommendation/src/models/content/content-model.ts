import { computeNeighbors, type Neighbor, type NeighborOptions } from "./neighbors.js";
import { productTerms, type ProductText } from "./product-text.js";
import { buildTfIdf, cosine, updateTfIdf, type SparseVector, type TfIdfModel } from "./tfidf.js";

/**
 * The content model of a catalog: one L2-normalised TF-IDF vector per product over the terms of
 * its title (without the year), categories, tags and description (see {@link productTerms} and
 * {@link buildTfIdf}), and the cosine similarity between any two products.
 */
export class ContentModel {
  /** Dense scratch vector over the vocabulary for {@link ContentModel.meanSimilarity}; all zeros between calls. */
  private scratch: Float64Array | undefined;

  private constructor(private readonly tfidf: TfIdfModel) {}

  /**
   * Vectorises a catalog. Fast (linear in the text size: ~0.2 s for the 9,742 MovieLens movies);
   * the all-pairs neighbour lists are the expensive part, see {@link ContentModel.neighbors}.
   *
   * @param products - the catalog; the order is the tie-break order of neighbour lists.
   */
  static build(products: Iterable<ProductText>): ContentModel {
    const documents = [...products].map((p) => ({ id: p.productId, terms: productTerms(p) }));
    return new ContentModel(buildTfIdf(documents));
  }

  /**
   * This model with some products added, changed or removed, the others' vectors untouched (see
   * {@link updateTfIdf} for how the idf of existing terms is held fixed until a full
   * {@link ContentModel.build}). This model is not modified.
   *
   * @param upserts - products to add, or to re-vectorise when their id is in the model.
   * @param removals - product ids to drop (unknown ids are ignored).
   * @returns the updated model.
   */
  withChanges(upserts: Iterable<ProductText>, removals: Iterable<string> = []): ContentModel {
    const documents = [...upserts].map((p) => ({ id: p.productId, terms: productTerms(p) }));
    return new ContentModel(updateTfIdf(this.tfidf, documents, removals));
  }

  /** Number of products in the model. */
  get size(): number {
    return this.tfidf.ids.length;
  }

  /** Number of distinct terms in the vocabulary. */
  get vocabularySize(): number {
    return this.tfidf.vocabulary.size;
  }

  /** The underlying TF-IDF model (vocabulary, document frequencies, vectors). */
  get model(): TfIdfModel {
    return this.tfidf;
  }

  /** @returns the product's TF-IDF vector, or undefined for a product not in the model. */
  vector(productId: string): SparseVector | undefined {
    const i = this.tfidf.indexOf.get(productId);
    return i === undefined ? undefined : this.tfidf.vectors[i];
  }

  /**
   * Cosine similarity of two products' TF-IDF vectors, in [0, 1].
   *
   * @returns 0 when either product is unknown or has no indexed text.
   */
  similarity(a: string, b: string): number {
    const va = this.vector(a);
    const vb = this.vector(b);
    return va && vb ? cosine(va, vb) : 0;
  }

  /**
   * The weighted mean cosine similarity of each candidate to a set of products,
   * `Σ_j w_j·cos(c, p_j) / Σ_j w_j`, computed as one dot product per candidate with the weighted
   * mean of the products' vectors (the vectors are L2-normalised, so cos is a dot product and
   * the sum distributes): O(|candidates| + |products|) sparse dots instead of their product.
   *
   * @param candidates - the products to score.
   * @param profile - the products to compare with and their weights (> 0); unknown ids count 0.
   * @returns one value in [0, 1] per candidate, in order (0 for an unknown candidate or an empty profile).
   */
  meanSimilarity(candidates: readonly string[], profile: readonly { readonly id: string; readonly weight: number }[]): Float64Array {
    const out = new Float64Array(candidates.length);
    const totalWeight = profile.reduce((sum, p) => sum + p.weight, 0);
    if (profile.length === 0 || !(totalWeight > 0)) return out;
    const dense = (this.scratch ??= new Float64Array(this.tfidf.vocabulary.size));
    const touched: SparseVector[] = [];
    for (const p of profile) {
      const v = this.vector(p.id);
      if (!v) continue;
      touched.push(v);
      const w = p.weight / totalWeight;
      for (let t = 0; t < v.terms.length; t++) dense[v.terms[t]!]! += w * v.weights[t]!;
    }
    try {
      candidates.forEach((id, c) => {
        const v = this.vector(id);
        if (!v) return;
        let dot = 0;
        for (let t = 0; t < v.terms.length; t++) dot += v.weights[t]! * dense[v.terms[t]!]!;
        out[c] = dot;
      });
    } finally {
      for (const v of touched) for (let t = 0; t < v.terms.length; t++) dense[v.terms[t]!] = 0;
    }
    return out;
  }

  /**
   * The top-k neighbours of one product by a scan of the whole catalog (O(catalog) dot products,
   * a few milliseconds for 10k products): the fallback for products newer than the stored
   * neighbour lists. Ties are broken by catalog order.
   *
   * @returns the neighbours (cosine > 0), best first; [] for an unknown product.
   */
  nearest(productId: string, k: number): Neighbor[] {
    const v = this.vector(productId);
    if (!v || k <= 0) return [];
    const found: { i: number; score: number }[] = [];
    this.tfidf.vectors.forEach((other, i) => {
      if (this.tfidf.ids[i] === productId) return;
      const score = cosine(v, other);
      if (score > 0) found.push({ i, score });
    });
    found.sort((a, b) => b.score - a.score || a.i - b.i);
    return found.slice(0, k).map(({ i, score }) => ({ productId: this.tfidf.ids[i]!, score }));
  }

  /**
   * The top-k neighbours of every product by cosine similarity (see {@link computeNeighbors}).
   *
   * @param options - k (default 50) and an optional document-frequency cap.
   * @returns product id → neighbours, best first (products without neighbours map to []).
   */
  neighbors(options: NeighborOptions = {}): Map<string, Neighbor[]> {
    const lists = computeNeighbors(this.tfidf, options);
    return new Map(this.tfidf.ids.map((id, i) => [id, lists[i]!] as const));
  }
}
