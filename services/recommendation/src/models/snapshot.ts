import type { Neighbor } from "./content/neighbors.js";
import type { ItemPopularity } from "./popularity.js";

/** Statistics of one model build, as recorded in `model_builds`. */
export interface ModelBuildStats {
  /** Number of catalog products the build read. */
  readonly productCount: number;
  /** Number of engagement events the build read (every kind). */
  readonly eventCount: number;
  /** Wall-clock duration of the build (reading sources and computing), in milliseconds. */
  readonly durationMs: number;
}

/** A stored build: its statistics plus its row id and time. */
export interface ModelBuildInfo extends ModelBuildStats {
  /** `model_builds.id`, increasing with each build. */
  readonly id: number;
  /** When the build was stored. */
  readonly builtAt: Date;
}

/**
 * A model snapshot: the precomputed results that are costly to compute and are stored in the
 * recommendation database so a restart need not recompute them.
 */
export interface ModelSnapshot {
  /** The build's statistics. */
  readonly stats: ModelBuildStats;
  /** Product id → its top-k content neighbours (TF-IDF cosine), best first. */
  readonly neighbors: ReadonlyMap<string, readonly Neighbor[]>;
  /** Popularity of every product with explicit opinions, best first. */
  readonly popularity: readonly ItemPopularity[];
  /**
   * Product id → its top-k item-KNN neighbours (cosine over the binary user × product matrix of
   * the engagement history, `computeItemNeighbors`), best first; absent in snapshots stored before
   * the item-KNN signal existed (the signal then scores 0 until the next build).
   */
  readonly itemNeighbors?: ReadonlyMap<string, readonly Neighbor[]>;
}
