import type { ContentModel } from "./content-model.js";
import type { Neighbor } from "./neighbors.js";

/** What {@link patchNeighbors} reads. */
export interface NeighborPatchInput {
  /** The content model after the changes (changed products re-vectorised, removed ones gone). */
  readonly content: ContentModel;
  /** Every neighbour list currently served, by owner (stored lists and earlier patches). */
  readonly lists: Iterable<readonly [string, readonly Neighbor[]]>;
  /** The list currently served for one product, or undefined when it has none (computed on demand). */
  readonly current: (productId: string) => readonly Neighbor[] | undefined;
  /** Products added or whose text changed. */
  readonly changed: ReadonlySet<string>;
  /** Products removed from the catalog. */
  readonly removed: ReadonlySet<string>;
  /** Neighbours per list, a count ≥ 1 (the snapshot's k). */
  readonly k: number;
}

/**
 * The neighbour lists a batch of catalog changes touches, recomputed so that the served top-k
 * content neighbours stay those of the current catalog without an all-pairs rebuild:
 *
 * 1. each changed product's own list is a fresh scan of the content model
 *    (`ContentModel.nearest`, exact cosine over the catalog);
 * 2. each product in that list gets the changed product into its own list when the cosine beats
 *    its k-th neighbour (or its list is shorter than k);
 * 3. every other list that names a changed product has that entry re-scored with the new cosine
 *    (dropped at 0), and entries of removed products are dropped.
 *
 * Step 3 leaves a list shorter than k when the changed product moved away; the next full model
 * build (`npm run build-models`) refills it. Ties are broken by product id, so the result is
 * deterministic. Cost: one catalog scan per changed product plus one pass over the entries of
 * every list.
 *
 * @param input - the model, the served lists and the changes.
 * @returns owner → new list, best first, for every list that changed.
 */
export function patchNeighbors(input: NeighborPatchInput): Map<string, Neighbor[]> {
  const { content, changed, removed, k } = input;
  const out = new Map<string, Neighbor[]>();
  const fresh = new Map<string, Neighbor[]>();
  for (const id of changed) {
    if (removed.has(id)) continue;
    const list = content.nearest(id, k);
    fresh.set(id, list);
    out.set(id, list);
  }
  const listOf = (id: string): readonly Neighbor[] | undefined => out.get(id) ?? input.current(id);

  // 2. Reverse insertion into the lists of the changed products' neighbours.
  const inserted = new Set<string>();
  for (const [p, list] of fresh) {
    for (const n of list) {
      if (changed.has(n.productId)) continue;
      const owned = listOf(n.productId);
      if (owned === undefined) continue;
      out.set(n.productId, rank([...owned.filter((e) => e.productId !== p), { productId: p, score: n.score }], k));
      inserted.add(`${n.productId}\u0000${p}`);
    }
  }

  // 3. Re-score stale entries of changed products, drop removed ones.
  for (const [owner, served] of input.lists) {
    if (changed.has(owner) || removed.has(owner)) continue;
    const list = out.get(owner) ?? served;
    let touched = false;
    const next: Neighbor[] = [];
    for (const e of list) {
      if (removed.has(e.productId)) {
        touched = true;
        continue;
      }
      if (changed.has(e.productId) && !inserted.has(`${owner}\u0000${e.productId}`)) {
        touched = true;
        const score = content.similarity(owner, e.productId);
        if (score > 0) next.push({ productId: e.productId, score });
        continue;
      }
      next.push(e);
    }
    if (touched) out.set(owner, rank(next, k));
  }
  for (const id of removed) out.delete(id);
  return out;
}

/** Best first, ties by id, at most k. */
function rank(list: Neighbor[], k: number): Neighbor[] {
  return list.sort((a, b) => b.score - a.score || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)).slice(0, k);
}
