import { ContentModel } from "../models/content/content-model.js";
import type { Neighbor } from "../models/content/neighbors.js";
import { patchNeighbors } from "../models/content/neighbor-patch.js";
import type { CollaborativeModel } from "./domain/collaborative.js";
import { Catalog, type CatalogProduct } from "../models/catalog.js";
import type { ItemPopularity } from "../models/popularity.js";
import type { ModelBuildInfo, ModelSnapshot } from "../models/snapshot.js";

/** What {@link ServingState.create} needs. */
export interface ServingStateInit {
  /** The catalog, in catalog order. */
  readonly catalog: Iterable<CatalogProduct>;
  /** The stored (or freshly built) snapshot. */
  readonly snapshot: ModelSnapshot;
  /** The content model of the catalog; built from `catalog` when omitted. */
  readonly content?: ContentModel;
  /** A collaborative model, when one is loaded (issue 3). */
  readonly collaborative?: CollaborativeModel;
  /** The stored build the snapshot came from, when known. */
  readonly build?: ModelBuildInfo;
  /** Neighbours per product, for products missing from the snapshot (default 50). */
  readonly neighborCount?: number;
}

/**
 * Everything the recommender reads in memory, immutable: the catalog (titles, categories), the
 * content model (vectors for exact cosines), the snapshot (precomputed neighbours, popularity)
 * and, when loaded, a collaborative model.
 */
export class ServingState {
  private readonly popularityById: ReadonlyMap<string, ItemPopularity>;

  private constructor(
    /** The in-memory catalog. */
    readonly catalog: Catalog,
    /** TF-IDF vectors of the catalog. */
    readonly content: ContentModel,
    /** Precomputed neighbours and popularity. */
    readonly snapshot: ModelSnapshot,
    /** The collaborative model, or undefined while none is loaded. */
    readonly collaborative: CollaborativeModel | undefined,
    /** The stored build, when known. */
    readonly build: ModelBuildInfo | undefined,
    private readonly neighborCount: number,
    /** Neighbour lists patched by catalog changes since the snapshot, by owner; they win over the snapshot's. */
    private readonly neighborOverrides: ReadonlyMap<string, readonly Neighbor[]> = new Map(),
  ) {
    this.popularityById = new Map(snapshot.popularity.map((p) => [p.productId, p] as const));
  }

  /** Assembles the models; vectorises the catalog when no content model is given (~0.2 s for 10k products). */
  static create(init: ServingStateInit): ServingState {
    const products = [...init.catalog];
    return new ServingState(
      new Catalog(products),
      init.content ?? ContentModel.build(products),
      init.snapshot,
      init.collaborative,
      init.build,
      init.neighborCount ?? 50,
    );
  }

  /**
   * The content neighbours of a product, best first: the stored top-k list, or for a product
   * newer than the snapshot, a scan of the content model (see `ContentModel.nearest`).
   */
  neighbors(productId: string): readonly Neighbor[] {
    return (
      this.neighborOverrides.get(productId) ??
      this.snapshot.neighbors.get(productId) ??
      this.content.nearest(productId, this.neighborCount)
    );
  }

  /**
   * A product's item-KNN neighbours from the snapshot (see `computeItemNeighbors`), best first.
   *
   * @param productId - the product.
   * @returns its list, or undefined when the snapshot has none for it.
   */
  itemNeighbors(productId: string): readonly Neighbor[] | undefined {
    return this.snapshot.itemNeighbors?.get(productId);
  }

  /** Number of neighbour lists patched by catalog changes since the snapshot (a count). */
  get patchedNeighborLists(): number {
    return this.neighborOverrides.size;
  }

  /**
   * These models with catalog changes applied (the live catalog's step, see live-catalog.ts): the
   * catalog with the products added, replaced (same position) or removed; the content model
   * re-vectorising only the changed products (`ContentModel.withChanges`); and the neighbour lists
   * those changes touch patched (`patchNeighbors`). Popularity and the collaborative model are
   * kept: a product they do not know scores 0 there until the next build or training.
   *
   * @param upserts - products added or changed, at most once each.
   * @param removals - ids of products archived (unknown ids are ignored).
   * @returns the new state; this one is unchanged.
   */
  withCatalogChanges(upserts: readonly CatalogProduct[], removals: readonly string[]): ServingState {
    const changed = new Set(upserts.map((p) => p.productId));
    const removed = new Set(removals.filter((id) => !changed.has(id)));
    const byId = new Map(upserts.map((p) => [p.productId, p] as const));
    const products: CatalogProduct[] = [];
    for (const p of this.catalog.products()) {
      if (removed.has(p.productId)) continue;
      const next = byId.get(p.productId);
      products.push(next ?? p);
      byId.delete(p.productId);
    }
    products.push(...byId.values());
    const content = this.content.withChanges(upserts, removed);
    const overrides = new Map(this.neighborOverrides);
    const patch = patchNeighbors({
      content,
      lists: this.servedLists(),
      current: (id) => overrides.get(id) ?? this.snapshot.neighbors.get(id),
      changed,
      removed,
      k: this.neighborCount,
    });
    for (const [id, list] of patch) overrides.set(id, list);
    for (const id of removed) overrides.delete(id);
    return new ServingState(new Catalog(products), content, this.snapshot, this.collaborative, this.build, this.neighborCount, overrides);
  }

  /**
   * These models with the content model vectorised again from scratch over the current catalog
   * (fresh idf: the bound on the drift `withCatalogChanges` lets accumulate, ~0.2 s for 10k
   * products). Neighbour lists are kept.
   */
  withRebuiltContent(): ServingState {
    return new ServingState(
      this.catalog,
      ContentModel.build(this.catalog.products()),
      this.snapshot,
      this.collaborative,
      this.build,
      this.neighborCount,
      this.neighborOverrides,
    );
  }

  /** Every served neighbour list: the overrides, then the snapshot's lists they do not replace. */
  private *servedLists(): Iterable<readonly [string, readonly Neighbor[]]> {
    yield* this.neighborOverrides;
    for (const entry of this.snapshot.neighbors) if (!this.neighborOverrides.has(entry[0])) yield entry;
  }

  /** The product's popularity score in [0, 1]; 0 when it has no explicit opinions. */
  popularity(productId: string): number {
    return this.popularityById.get(productId)?.score ?? 0;
  }

  /** Every product with a popularity, best first. */
  popular(): readonly ItemPopularity[] {
    return this.snapshot.popularity;
  }

  /** A copy of these models with a collaborative model (or without one, for undefined). */
  withCollaborative(collaborative: CollaborativeModel | undefined): ServingState {
    return new ServingState(this.catalog, this.content, this.snapshot, collaborative, this.build, this.neighborCount, this.neighborOverrides);
  }
}

/**
 * Holds the models currently served; a rebuild or a newly trained model swaps them in atomically
 * (each request reads `current()` once and uses that object throughout).
 */
export class ServingStateHolder {
  /** @param models - the models to serve first. */
  constructor(private models: ServingState) {}

  /** The models to use for one request. */
  current(): ServingState {
    return this.models;
  }

  /** Serves `models` from the next request on. */
  replace(models: ServingState): void {
    this.models = models;
  }
}
