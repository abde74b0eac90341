import type { Logger } from "pino";
import type { SnapshotRepository } from "../../storage/snapshot-repository.js";
import { buildModels, type BuildModelsOptions, type BuildTimings } from "./build-models.js";
import { ServingState } from "../../serving/serving-state.js";
import type { ModelBuildInfo } from "../../models/snapshot.js";
import { readCatalog, type CatalogSource, type InteractionSource } from "./sources.js";

/** What building or loading the models needs. */
export interface ModelStoreDeps {
  /** The catalog (ProductService in production). */
  readonly catalogSource: CatalogSource;
  /** All events (EngagementService.ScanEvents in production). */
  readonly interactionSource: InteractionSource;
  /** The snapshot tables. */
  readonly repository: SnapshotRepository;
  /** Progress and timings go here. */
  readonly logger: Logger;
  /** Neighbour count, document-frequency cap, popularity prior. */
  readonly options?: Omit<BuildModelsOptions, "logger">;
}

/** The result of {@link buildAndStoreModels}. */
export interface StoredBuild {
  /** The models, ready to serve. */
  readonly models: ServingState;
  /** The stored `model_builds` row. */
  readonly build: ModelBuildInfo;
  /** Phase durations of the build, in ms. */
  readonly timings: BuildTimings;
  /** How long storing the snapshot took, in ms. */
  readonly saveMs: number;
}

/**
 * Builds the models from the sources (see `buildModels`) and replaces the stored snapshot with
 * them (see `SnapshotRepository.save`).
 *
 * @throws UnavailableError when a source service is down; the PostgreSQL error when the
 *   snapshot cannot be stored (the previous snapshot then stays).
 */
export async function buildAndStoreModels(deps: ModelStoreDeps): Promise<StoredBuild> {
  const built = await buildModels(deps.catalogSource, deps.interactionSource, { ...deps.options, logger: deps.logger });
  const started = performance.now();
  const build = await deps.repository.save(built.snapshot);
  const saveMs = Math.round(performance.now() - started);
  deps.logger.info({ buildId: build.id, saveMs, neighborRows: countNeighbors(built.snapshot.neighbors) }, "model snapshot stored");
  const models = ServingState.create({
    catalog: built.catalog,
    content: built.content,
    snapshot: built.snapshot,
    build,
    neighborCount: deps.options?.neighborCount,
  });
  return { models, build, timings: built.timings, saveMs };
}

/**
 * The models to serve at start-up: the latest stored snapshot plus the live catalog (vectorised
 * in memory for exact cosines), or, when no snapshot is stored or `rebuild` is true, a fresh build
 * that is stored first.
 *
 * @param deps - sources, repository, logger, build options.
 * @param rebuild - build even when a snapshot is stored.
 * @throws as {@link buildAndStoreModels}, or when the catalog or snapshot cannot be read.
 */
export async function loadOrBuildModels(deps: ModelStoreDeps, rebuild = false): Promise<ServingState> {
  const started = performance.now();
  let stored = rebuild ? undefined : await deps.repository.loadLatest();
  if (stored && stored.stats.eventCount > 0 && (stored.itemNeighbors?.size ?? 0) === 0) {
    // Stored before the item-KNN neighbours existed (migration 002): the collaborative signal would
    // lack its item-KNN half until someone rebuilt, so rebuild now.
    deps.logger.info({ buildId: stored.build.id }, "the stored model snapshot has no item-KNN neighbours, rebuilding it");
    stored = undefined;
  }
  if (!stored) {
    deps.logger.info({ rebuild }, rebuild ? "rebuilding the model snapshot" : "no model snapshot stored, building one");
    return (await buildAndStoreModels(deps)).models;
  }
  const catalog = await readCatalog(deps.catalogSource);
  const models = ServingState.create({
    catalog,
    snapshot: stored,
    build: stored.build,
    neighborCount: deps.options?.neighborCount,
  });
  deps.logger.info(
    { buildId: stored.build.id, builtAt: stored.build.builtAt, products: catalog.length, loadMs: Math.round(performance.now() - started) },
    "model snapshot loaded",
  );
  return models;
}

function countNeighbors(neighbors: ReadonlyMap<string, readonly unknown[]>): number {
  let n = 0;
  for (const list of neighbors.values()) n += list.length;
  return n;
}
