import { LRUCache } from "lru-cache";
import { topRows, type NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import type { GmfCandidateIndex } from "../../models/ncf/gmf-candidate-index.js";
import type { LoadedNcfArtifact } from "../../storage/ncf-artifacts/artifact.js";
import type { NcfArtifactWatcher } from "../../storage/ncf-artifacts/artifact-watcher.js";
import type { CollaborativeModel } from "../domain/collaborative.js";

/** Options of {@link NcfCollaborativeModel}. */
export interface NcfCollaborativeOptions {
  /**
   * Users whose NeuMF scores over the whole catalog are kept in memory, least recently used evicted
   * first (default 5,000; 0 disables the cache and every call scores its candidates).
   */
  readonly cachedUsers?: number;
  /**
   * Most memory the cached scores may take, in bytes (default 256 MiB): each user costs 8 bytes per
   * item the model knows plus 4 per ranked item (MovieLens ml-latest-small, 9,742 items: 81 KB, so
   * about 3,300 users in the default; with a candidate index, 12 bytes per retrieved item).
   */
  readonly cacheBytes?: number;
  /**
   * Items retrieved from an artifact's candidate index per user and re-scored with NeuMF (default
   * 2,000; used only by artifacts loaded with a `GmfCandidateIndex`).
   */
  readonly candidatePool?: number;
}

/**
 * One user's NeuMF scores under one model version, in typed arrays (nothing for the garbage
 * collector to walk), in one of two forms:
 * - exact: the score of every item the model knows, by embedding row, and the best rows, best
 *   first; every candidate's score is a lookup, whichever source brought it;
 * - retrieved (models with a candidate index): the index's pool of items with the largest GMF
 *   inner product, re-scored with the whole model and ranked; an item outside the pool has no
 *   score here and the caller scores it on demand.
 */
class UserRanking {
  /**
   * @param order - the ranked rows, best first (ties: lower row first).
   * @param rows - rows with a score: undefined when `scores` covers every row; else ascending rows.
   * @param scores - `scores[row]` (exact) or the score of `rows[i]` (retrieved).
   */
  private constructor(
    private readonly order: Int32Array,
    private readonly rows: Int32Array | undefined,
    private readonly scores: Float64Array,
  ) {}

  /** Scores every item for a user the scorer knows and ranks the best `size`. */
  static exact(scorer: NeuMFScorer, userId: string, size: number): UserRanking {
    const scores = scorer.scoreRows(scorer.userRow(userId)!);
    return new UserRanking(Int32Array.from(topRows(scores, size)), undefined, scores);
  }

  /** Retrieves `pool` items from the candidate index, scores them with NeuMF and ranks them all. */
  static retrieved(scorer: NeuMFScorer, index: GmfCandidateIndex, userId: string, pool: number): UserRanking {
    const user = scorer.userRow(userId)!;
    const rows = index.search(user, pool).sort();
    const scores = scorer.scoreRows(user, rows);
    const order = Int32Array.from(topRows(scores, rows.length), (i) => rows[i]!);
    return new UserRanking(order, rows, scores);
  }

  /** How many items are ranked. */
  get size(): number {
    return this.order.length;
  }

  /** Memory held, in bytes. */
  get bytes(): number {
    return this.scores.byteLength + this.order.byteLength + (this.rows?.byteLength ?? 0);
  }

  /** The ranked rows, best first. */
  *bestFirst(): Generator<number> {
    for (let i = 0; i < this.order.length; i++) yield this.order[i]!;
  }

  /** The score of an item row, or undefined for a row outside a retrieved pool. */
  scoreOf(row: number): number | undefined {
    if (!this.rows) return this.scores[row]!;
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.rows[mid]!;
      if (r === row) return this.scores[mid]!;
      if (r < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/** Items ranked per user (enough for the default 200 candidates after filtering what was seen). */
const DEFAULT_RANKED = 900;

/**
 * The collaborative signal served from the newest valid NeuMF artifact: each call reads the
 * watcher's current artifact once, so a swap to a newer model (see NcfArtifactWatcher) takes
 * effect between calls and never inside one. Scores are NeuMF's predicted interaction
 * probabilities, computed by the direct TypeScript scorer (no `model.predict` per request).
 *
 * A user's scores do not change until the model does, so they are computed once per model version
 * and user (lazily, on the user's first request, or by {@link prewarm}) and kept in an LRU cache
 * that a new model version replaces (DESIGN.md, "Serving path"): a request's collaborative scores
 * and candidates are then lookups. For a model with a candidate index (large catalogs, see
 * `LoadNcfArtifactOptions.candidateIndex`), a user's ranking re-scores the index's pool of
 * `candidatePool` items instead of every item, so its cost does not grow with the catalog; a
 * candidate outside the pool (a content neighbour, a trending item) is scored on demand.
 */
export class NcfCollaborativeModel implements CollaborativeModel {
  private cache: { artifact: LoadedNcfArtifact; users: LRUCache<string, UserRanking> } | undefined;
  private readonly cachedUsers: number;
  private readonly cacheBytes: number;
  private readonly candidatePool: number;

  /**
   * @param watcher - holds the artifact being served (none yet: every user is unknown).
   * @param options - cache size.
   */
  constructor(
    private readonly watcher: NcfArtifactWatcher,
    options: NcfCollaborativeOptions = {},
  ) {
    this.cachedUsers = options.cachedUsers ?? 5_000;
    this.cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.candidatePool = options.candidatePool ?? 2_000;
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
    const ranking = this.ranking(artifact, userId, Math.max(DEFAULT_RANKED, Math.min(k * 4 + 100, 5_000)));
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
    if (this.cachedUsers <= 0) {
      const known = productIds.filter((id) => scorer.hasItem(id));
      const values = scorer.score(userId, known)!;
      known.forEach((id, i) => scores.set(id, values[i]!));
      return scores;
    }
    const ranking = this.ranking(artifact, userId, DEFAULT_RANKED);
    const outside: string[] = [];
    for (const id of productIds) {
      const row = scorer.itemRow(id);
      if (row === undefined) continue;
      const score = ranking.scoreOf(row);
      if (score === undefined) outside.push(id);
      else scores.set(id, score);
    }
    if (outside.length > 0) {
      const values = scorer.score(userId, outside)!;
      outside.forEach((id, i) => scores.set(id, values[i]!));
    }
    return scores;
  }

  /**
   * Computes the rankings of the artifact's users in the background, so that no request pays for
   * its user's first ranking (about 10 ms per user over ml-latest-small's 9,717 items): users of the
   * previous version's cache first (the recently active ones), then every user of the model, until
   * the cache is full (`cachedUsers` users or `cacheBytes`). One user per event-loop turn
   * (`setImmediate`), so requests interleave; it stops early when a newer artifact is served.
   * Called by the process at start and on every artifact swap.
   *
   * @param artifact - the artifact to warm (default: the one being served).
   * @returns when done, how many users were ranked (0 without a cache or an artifact).
   */
  prewarm(artifact: LoadedNcfArtifact | undefined = this.watcher.current): Promise<number> {
    if (!artifact || this.cachedUsers <= 0) return Promise.resolve(0);
    const previous = this.cache && this.cache.artifact !== artifact ? [...this.cache.users.keys()] : [];
    const users = this.usersOf(artifact)!;
    const { scorer } = artifact;
    const order = [...new Set([...previous, ...scorer.userIds])].filter((u) => scorer.hasUser(u));
    let next = 0;
    let ranked = 0;
    return new Promise((resolve) => {
      const step = (): void => {
        const perUser = artifact.candidates ? this.candidatePool * 16 : scorer.itemCount * 8 + Math.min(DEFAULT_RANKED, scorer.itemCount) * 4;
        const full = users.size >= this.cachedUsers || users.calculatedSize + perUser > this.cacheBytes;
        if (this.watcher.current !== artifact || next >= order.length || full) {
          resolve(ranked);
          return;
        }
        const userId = order[next++]!;
        if (!users.has(userId)) {
          users.set(userId, this.rank(artifact, userId, DEFAULT_RANKED));
          ranked += 1;
        }
        setImmediate(step);
      };
      setImmediate(step);
    });
  }

  /** The user's ranking of `size` items under this artifact, from the cache or computed now. */
  private ranking(artifact: LoadedNcfArtifact, userId: string, size: number): UserRanking {
    const cached = this.cachedRanking(artifact, userId);
    if (cached && cached.size >= Math.min(size, artifact.scorer.itemCount)) return cached;
    const ranking = this.rank(artifact, userId, size);
    this.usersOf(artifact)?.set(userId, ranking);
    return ranking;
  }

  /** Computes a user's ranking: the index's pool re-scored when the artifact has one, else every item. */
  private rank(artifact: LoadedNcfArtifact, userId: string, size: number): UserRanking {
    return artifact.candidates
      ? UserRanking.retrieved(artifact.scorer, artifact.candidates, userId, Math.max(this.candidatePool, size))
      : UserRanking.exact(artifact.scorer, userId, size);
  }

  /**
   * Drops a deleted user's cached ranking (every artifact's cache holds at most the current one).
   *
   * @param userId - the user.
   */
  forgetUser(userId: string): void {
    this.cache?.users.delete(userId);
  }

  private cachedRanking(artifact: LoadedNcfArtifact, userId: string): UserRanking | undefined {
    return this.usersOf(artifact)?.get(userId);
  }

  /** The cache of this artifact's rankings; a newer artifact starts an empty one. */
  private usersOf(artifact: LoadedNcfArtifact): LRUCache<string, UserRanking> | undefined {
    if (this.cachedUsers <= 0) return undefined;
    if (this.cache?.artifact !== artifact) {
      this.cache = {
        artifact,
        users: new LRUCache({ max: this.cachedUsers, maxSize: this.cacheBytes, sizeCalculation: (r) => r.bytes }),
      };
    }
    return this.cache.users;
  }
}
