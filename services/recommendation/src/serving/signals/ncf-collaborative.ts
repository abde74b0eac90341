import { LRUCache } from "lru-cache";
import type { NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import type { LoadedNcfArtifact } from "../../storage/ncf-artifacts/artifact.js";
import type { NcfArtifactWatcher } from "../../storage/ncf-artifacts/artifact-watcher.js";
import type { CollaborativeModel } from "../domain/collaborative.js";

/** Options of {@link NcfCollaborativeModel}. */
export interface NcfCollaborativeOptions {
  /**
   * Users whose NeuMF ranking is kept in memory, least recently used evicted first (default 5,000;
   * about 15 KB each for the default 900-item list, in typed arrays; 0 disables the cache).
   */
  readonly cachedUsers?: number;
}

/**
 * One user's NeuMF ranking under one model version, in typed arrays (a few allocations per user,
 * nothing for the garbage collector to walk): the best items' embedding rows sorted by row with
 * their scores, for binary search, and the best-first order as positions into them.
 */
class UserRanking {
  /**
   * @param rows - item rows, ascending.
   * @param scores - `scores[j]` is the score of `rows[j]`.
   * @param order - positions into `rows`, best first.
   */
  private constructor(
    private readonly rows: Int32Array,
    private readonly scores: Float64Array,
    private readonly order: Int32Array,
  ) {}

  /** Ranks `size` items for a user the scorer knows. */
  static of(scorer: NeuMFScorer, userId: string, size: number): UserRanking {
    const ranked = scorer.topK(userId, size).map((r) => ({ row: scorer.itemRow(r.productId)!, score: r.score }));
    const byRow = ranked.map((r, rank) => ({ ...r, rank })).sort((a, b) => a.row - b.row);
    const order = new Int32Array(ranked.length);
    byRow.forEach((r, j) => (order[r.rank] = j));
    return new UserRanking(Int32Array.from(byRow, (r) => r.row), Float64Array.from(byRow, (r) => r.score), order);
  }

  /** How many items are ranked. */
  get size(): number {
    return this.rows.length;
  }

  /** The ranked rows, best first. */
  *bestFirst(): Generator<number> {
    for (let i = 0; i < this.order.length; i++) yield this.rows[this.order[i]!]!;
  }

  /** The score of an item row, or undefined when it is not among the ranked items. */
  scoreOf(row: number): number | undefined {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.rows[mid]!;
      if (r === row) return this.scores[mid];
      if (r < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/**
 * The collaborative signal served from the newest valid NeuMF artifact: each call reads the
 * watcher's current artifact once, so a swap to a newer model (see NcfArtifactWatcher) takes
 * effect between calls and never inside one. Scores are NeuMF's predicted interaction
 * probabilities, computed by the direct TypeScript scorer (no `model.predict` per request).
 *
 * A user's ranking over the whole catalog does not change until the model does, so it is computed
 * once per model version and user (lazily, on the user's first request) and kept in an LRU cache
 * that a new model version replaces (DESIGN.md, "Serving path"): the per-request cost is then the
 * candidates outside that ranking, not the catalog.
 */
export class NcfCollaborativeModel implements CollaborativeModel {
  private cache: { artifact: LoadedNcfArtifact; users: LRUCache<string, UserRanking> } | undefined;
  private readonly cachedUsers: number;

  /**
   * @param watcher - holds the artifact being served (none yet: every user is unknown).
   * @param options - cache size.
   */
  constructor(
    private readonly watcher: NcfArtifactWatcher,
    options: NcfCollaborativeOptions = {},
  ) {
    this.cachedUsers = options.cachedUsers ?? 5_000;
  }

  get version(): string | undefined {
    return this.watcher.current?.version;
  }

  knowsUser(userId: string): boolean {
    return this.watcher.current?.scorer.hasUser(userId) ?? false;
  }

  topCandidates(userId: string, k: number, eligible: (productId: string) => boolean): string[] {
    const artifact = this.watcher.current;
    if (!artifact?.scorer.hasUser(userId)) return [];
    // Ask for more than k so that ineligible (seen, other category) items can be dropped.
    const ranking = this.ranking(artifact, userId, Math.min(k * 4 + 100, 5_000));
    const { itemIds } = artifact.scorer;
    const out: string[] = [];
    for (const row of ranking.bestFirst()) {
      if (out.length >= k) break;
      const productId = itemIds[row]!;
      if (eligible(productId)) out.push(productId);
    }
    return out;
  }

  async scores(userId: string, productIds: readonly string[]): Promise<Map<string, number>> {
    const artifact = this.watcher.current;
    const scores = new Map<string, number>();
    if (!artifact?.scorer.hasUser(userId)) return scores;
    const { scorer } = artifact;
    const known = this.cachedRanking(artifact, userId);
    const missing: string[] = [];
    for (const id of productIds) {
      const row = scorer.itemRow(id);
      if (row === undefined) continue;
      const cached = known?.scoreOf(row);
      if (cached !== undefined) scores.set(id, cached);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const values = scorer.score(userId, missing)!;
      missing.forEach((id, i) => scores.set(id, values[i] as number));
    }
    return scores;
  }

  /** The user's ranking of `size` items under this artifact, from the cache or computed now. */
  private ranking(artifact: LoadedNcfArtifact, userId: string, size: number): UserRanking {
    const cached = this.cachedRanking(artifact, userId);
    if (cached && cached.size >= Math.min(size, artifact.scorer.itemCount)) return cached;
    const ranking = UserRanking.of(artifact.scorer, userId, size);
    this.usersOf(artifact)?.set(userId, ranking);
    return ranking;
  }

  private cachedRanking(artifact: LoadedNcfArtifact, userId: string): UserRanking | undefined {
    return this.usersOf(artifact)?.get(userId);
  }

  /** The cache of this artifact's rankings; a newer artifact starts an empty one. */
  private usersOf(artifact: LoadedNcfArtifact): LRUCache<string, UserRanking> | undefined {
    if (this.cachedUsers <= 0) return undefined;
    if (this.cache?.artifact !== artifact) this.cache = { artifact, users: new LRUCache({ max: this.cachedUsers }) };
    return this.cache.users;
  }
}
