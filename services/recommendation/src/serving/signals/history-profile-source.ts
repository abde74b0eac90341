import type { HistorySource } from "../domain/history-source.js";
import type { ProfileSource } from "../domain/profile-source.js";
import { buildUserProfile, type ProfileOptions, type UserProfile } from "../domain/user-profile.js";

/**
 * {@link ProfileSource} over a user's live history (EngagementService.GetUserHistory in
 * production): reads up to `maxEvents` events per call and builds the profile with
 * `buildUserProfile`. Always current, but one call and up to 5,000 events per request.
 */
export class HistoryProfileSource implements ProfileSource {
  /**
   * @param history - the live history.
   * @param options - the profile rules and `maxEvents` (events read per call, a count).
   */
  constructor(
    private readonly history: HistorySource,
    private readonly options: ProfileOptions & { readonly maxEvents: number },
  ) {}

  /** @throws UnavailableError when the history cannot be read. */
  async profile(userId: string): Promise<UserProfile> {
    return buildUserProfile(await this.history.recentEvents(userId, this.options.maxEvents), this.options);
  }
}
