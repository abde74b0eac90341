import type { UserProfile } from "./user-profile.js";

/**
 * Where a request reads the user's profile (recent positives and seen products): the per-user state
 * the stream keeps in Redis (`StoredProfileSource`), or the user's live history from
 * EngagementService (`HistoryProfileSource`), which the stored one falls back to.
 */
export interface ProfileSource {
  /**
   * @param userId - the user.
   * @returns the user's profile (no positives and nothing seen for a user without events).
   * @throws UnavailableError when no source of the profile can be reached.
   */
  profile(userId: string): Promise<UserProfile>;
}
