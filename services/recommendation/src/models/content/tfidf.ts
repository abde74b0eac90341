/**
 * A sparse vector over the vocabulary: term ids in increasing order and their weights.
 * Vectors made by {@link buildTfIdf} have unit L2 norm (or are empty).
 */
export interface SparseVector {
  /** Term ids, strictly increasing. */
  readonly terms: Int32Array;
  /** Weight of each term, same length as `terms`. */
  readonly weights: Float64Array;
}

/** One document to index: its id and its bag of terms (repeats are term frequencies). */
export interface TermDocument {
  /** Document (product) id. */
  readonly id: string;
  /** Terms, repeats kept. */
  readonly terms: readonly string[];
}

/** A TF-IDF model of a corpus: the vocabulary, the document frequencies and one vector per document. */
export interface TfIdfModel {
  /** Document ids, in corpus order; `vectors[i]` belongs to `ids[i]`. */
  readonly ids: readonly string[];
  /** Position of each document id in `ids`. */
  readonly indexOf: ReadonlyMap<string, number>;
  /** Term → term id. */
  readonly vocabulary: ReadonlyMap<string, number>;
  /** Document frequency of each term id: the number of documents containing it. */
  readonly df: Int32Array;
  /** Inverse document frequency of each term id, `ln(N / df)`. */
  readonly idf: Float64Array;
  /** The L2-normalised TF-IDF vector of each document (empty when no term has a non-zero weight). */
  readonly vectors: readonly SparseVector[];
}

/**
 * Builds TF-IDF vectors with the SMART "ltc" weighting of Manning, Raghavan and Schütze,
 * *Introduction to Information Retrieval* (2008), ch. 6 (https://nlp.stanford.edu/IR-book/pdf/06vect.pdf):
 *
 * - sublinear term frequency (§6.4.1): `wf(t, d) = 1 + ln(tf(t, d))` for `tf > 0`;
 * - inverse document frequency (§6.2.1): `idf(t) = ln(N / df(t))`, so a term found in every
 *   document weighs 0 and drops out;
 * - cosine normalisation (§6.3.1): each vector divided by its L2 norm, so the cosine similarity
 *   of two documents is the dot product of their vectors.
 *
 * Term ids are assigned in order of first appearance, so the same corpus gives the same model.
 *
 * @param documents - the corpus; ids should be unique (a repeated id keeps its last position).
 * @returns the model; building is linear in the total number of terms.
 */
export function buildTfIdf(documents: readonly TermDocument[]): TfIdfModel {
  const vocabulary = new Map<string, number>();
  const counts: Map<number, number>[] = [];
  const dfList: number[] = [];
  for (const doc of documents) {
    const tf = new Map<number, number>();
    for (const term of doc.terms) {
      let id = vocabulary.get(term);
      if (id === undefined) {
        id = vocabulary.size;
        vocabulary.set(term, id);
        dfList.push(0);
      }
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const id of tf.keys()) dfList[id] = (dfList[id] ?? 0) + 1;
    counts.push(tf);
  }
  const n = documents.length;
  const df = Int32Array.from(dfList);
  const idf = new Float64Array(df.length);
  for (let t = 0; t < df.length; t++) idf[t] = Math.log(n / df[t]!);

  const vectors = counts.map((tf) => weigh(tf, idf));
  const ids = documents.map((d) => d.id);
  const indexOf = new Map(ids.map((id, i) => [id, i] as const));
  return { ids, indexOf, vocabulary, df, idf, vectors };
}

/**
 * Cosine similarity of two L2-normalised sparse vectors: their dot product (a linear merge of the
 * two sorted term lists).
 *
 * @returns a value in [0, 1] for TF-IDF vectors (weights are non-negative); 0 when either is empty.
 */
export function cosine(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  const at = a.terms;
  const bt = b.terms;
  while (i < at.length && j < bt.length) {
    const x = at[i]!;
    const y = bt[j]!;
    if (x === y) {
      dot += a.weights[i]! * b.weights[j]!;
      i++;
      j++;
    } else if (x < y) {
      i++;
    } else {
      j++;
    }
  }
  return dot;
}

/**
 * A TF-IDF model with some documents added, replaced or removed, without re-weighting the others:
 * the incremental update the live catalog applies for each batch of catalog changes.
 *
 * - Terms already in the vocabulary keep their idf (it was computed over the corpus of the last full
 *   build): a change of a few documents moves `ln(N / df)` very little, and recomputing it would
 *   change every stored vector. This drift is bounded by rebuilding the model from scratch
 *   ({@link buildTfIdf}) once enough documents changed (the live catalog's rebuild threshold).
 * - A term the vocabulary lacks gets the next term id and `idf = ln(N' / df')`, over the new
 *   document count `N'` and its document frequency among the updated documents.
 * - Document frequencies are kept exact (added, replaced and removed documents counted), so
 *   {@link buildTfIdf}'s invariants hold for code that sizes arrays by `df`.
 * - Each added or replaced document is weighted like {@link buildTfIdf} does (ltc); a replaced
 *   document keeps its position, new ones are appended, removed ones leave the order of the rest
 *   unchanged.
 *
 * The input model is not modified. Cost: linear in the corpus size (the id, vector and vocabulary
 * tables are copied) plus the terms of the changed documents.
 *
 * @param model - the current model.
 * @param upserts - documents to add, or to replace when their id is in the model.
 * @param removals - ids to remove (unknown ids are ignored; an id also in `upserts` is upserted).
 * @returns the updated model.
 */
export function updateTfIdf(model: TfIdfModel, upserts: readonly TermDocument[], removals: Iterable<string> = []): TfIdfModel {
  const vocabulary = new Map(model.vocabulary);
  const df: number[] = Array.from(model.df);
  const idf: number[] = Array.from(model.idf);
  const upsertIds = new Set(upserts.map((d) => d.id));
  const removed = new Set<string>();
  for (const id of removals) if (!upsertIds.has(id) && model.indexOf.has(id)) removed.add(id);

  // The old vectors of replaced and removed documents no longer count towards df.
  const forget = (id: string): void => {
    const i = model.indexOf.get(id);
    if (i === undefined) return;
    for (const t of model.vectors[i]!.terms) df[t] = df[t]! - 1;
  };
  for (const id of removed) forget(id);
  for (const id of upsertIds) forget(id);

  const ids: string[] = [];
  const vectors: SparseVector[] = [];
  model.ids.forEach((id, i) => {
    if (removed.has(id)) return;
    ids.push(id);
    vectors.push(model.vectors[i]!);
  });
  const indexOf = new Map(ids.map((id, i) => [id, i] as const));
  const n = ids.length + upserts.filter((d) => !indexOf.has(d.id)).length;

  // Term frequencies of the updated documents; new terms enter the vocabulary.
  const latest = new Map<string, TermDocument>();
  for (const doc of upserts) latest.set(doc.id, doc);
  const newTerms = new Set<number>();
  const counts = new Map<string, Map<number, number>>();
  for (const doc of latest.values()) {
    const tf = new Map<number, number>();
    for (const term of doc.terms) {
      let id = vocabulary.get(term);
      if (id === undefined) {
        id = vocabulary.size;
        vocabulary.set(term, id);
        df.push(0);
        idf.push(0);
        newTerms.add(id);
      }
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const t of tf.keys()) df[t] = df[t]! + 1;
    counts.set(doc.id, tf);
  }
  for (const t of newTerms) idf[t] = Math.log(n / df[t]!);

  for (const [id, tf] of counts) {
    const vector = weigh(tf, idf);
    const at = indexOf.get(id);
    if (at === undefined) {
      indexOf.set(id, ids.length);
      ids.push(id);
      vectors.push(vector);
    } else {
      vectors[at] = vector;
    }
  }
  return { ids, indexOf, vocabulary, df: Int32Array.from(df), idf: Float64Array.from(idf), vectors };
}

/** The L2-normalised ltc vector of one document's term counts (see {@link buildTfIdf}). */
function weigh(tf: ReadonlyMap<number, number>, idf: ArrayLike<number>): SparseVector {
  const entries = [...tf.entries()]
    .map(([term, count]) => [term, (1 + Math.log(count)) * idf[term]!] as const)
    .filter(([, weight]) => weight > 0)
    .sort((a, b) => a[0] - b[0]);
  let norm = 0;
  for (const [, weight] of entries) norm += weight * weight;
  norm = Math.sqrt(norm);
  return {
    terms: Int32Array.from(entries, ([term]) => term),
    weights: Float64Array.from(entries, ([, weight]) => weight / norm),
  };
}
