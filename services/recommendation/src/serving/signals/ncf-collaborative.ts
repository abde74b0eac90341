import type { CollaborativeModel } from "../domain/collaborative.js";
import type { NcfArtifactWatcher } from "../../storage/ncf-artifacts/artifact-watcher.js";

/**
 * The collaborative signal served from the newest valid NeuMF artifact: each call reads the
 * watcher's current artifact once, so a swap to a newer model (see NcfArtifactWatcher) takes
 * effect between calls and never inside one. Scores are NeuMF's predicted interaction
 * probabilities, computed by the direct TypeScript scorer (no `model.predict` per request).
 */
export class NcfCollaborativeModel implements CollaborativeModel {
  /** @param watcher - holds the artifact being served (none yet: every user is unknown). */
  constructor(private readonly watcher: NcfArtifactWatcher) {}

  get version(): string | undefined {
    return this.watcher.current?.version;
  }

  knowsUser(userId: string): boolean {
    return this.watcher.current?.scorer.hasUser(userId) ?? false;
  }

  topCandidates(userId: string, k: number, eligible: (productId: string) => boolean): string[] {
    const scorer = this.watcher.current?.scorer;
    if (!scorer?.hasUser(userId)) return [];
    // Ask for more than k so that ineligible (seen, other category) items can be dropped.
    const ranked = scorer.topK(userId, Math.min(k * 4 + 100, 5_000));
    const out: string[] = [];
    for (const { productId } of ranked) {
      if (out.length >= k) break;
      if (eligible(productId)) out.push(productId);
    }
    return out;
  }

  async scores(userId: string, productIds: readonly string[]): Promise<Map<string, number>> {
    const scorer = this.watcher.current?.scorer;
    const scores = new Map<string, number>();
    const values = scorer?.score(userId, productIds);
    if (!scorer || !values) return scores;
    productIds.forEach((id, i) => {
      if (scorer.hasItem(id)) scores.set(id, values[i] as number);
    });
    return scores;
  }
}
