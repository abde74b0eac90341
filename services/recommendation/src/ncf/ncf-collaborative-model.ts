import type { CollaborativeModel } from "../domain/collaborative.js";
import type { LoadedNcfArtifact } from "./artifact.js";

/** Anything holding the NCF model being served (an `NcfArtifactWatcher`). */
export interface NcfModelHolder {
  /** The model to use now, or undefined while none is loaded. */
  readonly current: LoadedNcfArtifact | undefined;
}

/**
 * The recommender's `CollaborativeModel` over the NCF model being served: NeuMF's predicted
 * interaction probability ŷ(u, i) in (0, 1) per candidate, computed by the direct scorer. Each
 * call reads the holder once, so a hot swap never mixes two models within a call.
 */
export class NcfCollaborativeModel implements CollaborativeModel {
  /** @param holder - where the current model is read from (e.g. an `NcfArtifactWatcher`). */
  constructor(private readonly holder: NcfModelHolder) {}

  /**
   * @returns product id → ŷ for the candidates the model knows; empty when no model is loaded or
   *   the model does not know the user (cold start: the blend then relies on the other signals).
   */
  async scores(userId: string, productIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const model = this.holder.current;
    const scores = model?.scorer.score(userId, productIds);
    if (!scores) return result;
    productIds.forEach((id, c) => {
      const s = scores[c]!;
      if (!Number.isNaN(s)) result.set(id, s);
    });
    return result;
  }
}
