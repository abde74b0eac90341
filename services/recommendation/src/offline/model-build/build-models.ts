import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { ContentModel } from "../../models/content/content-model.js";
import { compareIds } from "../../../../shared/src/ids.js";
import type { CatalogProduct } from "../../models/catalog.js";
import { computePopularity, OpinionAccumulator } from "../../models/popularity.js";
import { computeItemNeighbors, type ItemKnnInteraction } from "../../models/item-knn.js";
import type { ModelSnapshot } from "../../models/snapshot.js";
import { readCatalog, type CatalogSource, type InteractionSource } from "./sources.js";

/** Options of {@link buildModels}. */
export interface BuildModelsOptions {
  /** Content neighbours kept per product (default 50). */
  readonly neighborCount?: number;
  /**
   * Skip terms found in more than this many products when accumulating neighbour scores
   * (default: none skipped; see `NeighborOptions.maxDocumentFrequency`).
   */
  readonly maxDocumentFrequency?: number;
  /** Item-KNN neighbours kept per product (default 100). */
  readonly itemNeighborCount?: number;
  /** Prior weight C of the Bayesian average (default: the mean number of opinions per product). */
  readonly popularityPriorWeight?: number;
  /** Receives one info line per phase with its duration. */
  readonly logger?: Logger;
}

/** Durations of the phases of a build, in milliseconds. */
export interface BuildTimings {
  /** Reading the catalog from its source. */
  readonly catalogMs: number;
  /** Reading the events from their source and accumulating opinions. */
  readonly eventsMs: number;
  /** Tokenising, stemming and TF-IDF vectorising the catalog. */
  readonly vectorizeMs: number;
  /** Computing every product's top-k neighbours. */
  readonly neighborsMs: number;
  /** Computing popularity. */
  readonly popularityMs: number;
  /** Computing the item-KNN neighbours. */
  readonly itemNeighborsMs: number;
  /** The whole build. */
  readonly totalMs: number;
}

/** What {@link buildModels} produces: the snapshot to store plus what the service keeps in memory. */
export interface BuiltModels {
  /** The snapshot (neighbours, popularity, statistics). */
  readonly snapshot: ModelSnapshot;
  /** The catalog that was read, ordered by product id (numerically for numeric ids). */
  readonly catalog: readonly CatalogProduct[];
  /** The content model of that catalog. */
  readonly content: ContentModel;
  /** Phase durations. */
  readonly timings: BuildTimings;
}

/**
 * Builds the recommendation models from the catalog and the full engagement history:
 * TF-IDF vectors and the top-k content neighbours of every product (see {@link ContentModel}),
 * each product's cold-start popularity (see `computePopularity`) and its item-KNN neighbours over
 * the engagement history (see `computeItemNeighbors`). The catalog and events are
 * read concurrently.
 *
 * @param catalogSource - pages of the catalog (ProductService.ListProducts in production).
 * @param interactionSource - pages of all events in acceptance order (EngagementService.ScanEvents).
 * @param options - neighbour count, document-frequency cap, popularity prior, logger.
 * @returns the snapshot, the catalog and content model, and the phase timings.
 * @throws whatever the sources throw (for example UNAVAILABLE when a service is down).
 */
export async function buildModels(
  catalogSource: CatalogSource,
  interactionSource: InteractionSource,
  options: BuildModelsOptions = {},
): Promise<BuiltModels> {
  const started = performance.now();
  const since = (t: number): number => Math.round(performance.now() - t);

  const readProducts = async (): Promise<{ products: CatalogProduct[]; ms: number }> => {
    const t = performance.now();
    const products = await readCatalog(catalogSource);
    products.sort((a, b) => compareIds(a.productId, b.productId));
    return { products, ms: since(t) };
  };
  // Item-KNN pairs: every event but a dislike says the user engaged with the product.
  const pairs: ItemKnnInteraction[] = [];
  const readOpinions = async (): Promise<{ opinions: OpinionAccumulator; ms: number }> => {
    const t = performance.now();
    const opinions = new OpinionAccumulator();
    for await (const page of interactionSource.pages()) {
      opinions.add(page);
      for (const e of page) if (e.kind !== "dislike") pairs.push({ userId: e.userId, productId: e.productId });
    }
    return { opinions, ms: since(t) };
  };
  const [{ products, ms: catalogMs }, { opinions, ms: eventsMs }] = await Promise.all([readProducts(), readOpinions()]);
  options.logger?.info({ products: products.length, events: opinions.events, catalogMs, eventsMs }, "model build: sources read");

  let t = performance.now();
  const content = ContentModel.build(products);
  const vectorizeMs = since(t);
  t = performance.now();
  const neighbors = content.neighbors({ k: options.neighborCount ?? 50, maxDocumentFrequency: options.maxDocumentFrequency });
  const neighborsMs = since(t);
  options.logger?.info({ vocabulary: content.vocabularySize, vectorizeMs, neighborsMs }, "model build: content neighbours computed");

  t = performance.now();
  const popularity = computePopularity(opinions.values(), { priorWeight: options.popularityPriorWeight });
  const popularityMs = since(t);
  t = performance.now();
  const itemNeighbors = computeItemNeighbors(pairs, { k: options.itemNeighborCount ?? 100 });
  const itemNeighborsMs = since(t);
  options.logger?.info({ products: itemNeighbors.size, itemNeighborsMs }, "model build: item-KNN neighbours computed");

  const totalMs = since(started);
  options.logger?.info({ popularProducts: popularity.length, popularityMs, totalMs }, "model build: done");
  return {
    snapshot: {
      stats: { productCount: products.length, eventCount: opinions.events, durationMs: totalMs },
      neighbors,
      popularity,
      itemNeighbors,
    },
    catalog: products,
    content,
    timings: { catalogMs, eventsMs, vectorizeMs, neighborsMs, popularityMs, itemNeighborsMs, totalMs },
  };
}
