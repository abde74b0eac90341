/**
 * A collaborative-filtering model (issue 3 adds Neural Collaborative Filtering). Until one is
 * loaded the collaborative signal is 0 and its weight goes to the content signal.
 */
export interface CollaborativeModel {
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
