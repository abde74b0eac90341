/**
 * A collaborative-filtering model (Neural Collaborative Filtering: NeuMF, models/ncf/, served by serving/signals/ncf-collaborative.ts). Users it has not
 * seen (registered after training) get no collaborative signal: their relevance is content alone
 * until the next training.
 */
export interface CollaborativeModel {
  /** Version of the model being served (for logs), or undefined while none is loaded. */
  readonly version: string | undefined;
  /**
   * Whether the model can score this user (it saw the user in training).
   *
   * @param userId - the user.
   */
  knowsUser(userId: string): boolean;
  /**
   * Drops what the model computed for a user (a deleted user: its cached ranking). The user's
   * embedding stays in the loaded artifact until the next training, which no longer sees the user.
   *
   * @param userId - the user.
   */
  forgetUser?(userId: string): void;
  /**
   * Candidate generation: the products the model ranks highest for a user, best first.
   *
   * @param userId - the user.
   * @param k - how many, at most.
   * @param eligible - keeps only products that may be recommended (not seen, in the category…).
   * @returns up to k product ids; empty for a user the model does not know.
   */
  topCandidates(userId: string, k: number, eligible: (productId: string) => boolean): string[];
  /**
   * Predicted preference of a user for each candidate, any non-negative scale (it is normalised
   * over the candidate set before blending).
   *
   * @param userId - the user.
   * @param productIds - the candidates.
   * @returns product id → score; candidates the model cannot score are absent (score 0).
   */
  scores(userId: string, productIds: readonly string[]): Promise<Map<string, number>>;
}
