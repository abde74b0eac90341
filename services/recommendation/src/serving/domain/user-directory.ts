/** Tells whether a user exists (UserService.GetUser in production; see `GrpcUserDirectory`). */
export interface UserDirectory {
  /**
   * @param userId - a syntactically valid user id.
   * @returns true when the user exists, false when the directory says NOT_FOUND.
   * @throws UnavailableError when the directory cannot be reached.
   */
  exists(userId: string): Promise<boolean>;
  /**
   * Forgets that a user exists (a deleted user), so the next look-up asks again.
   *
   * @param userId - the user.
   */
  forget?(userId: string): void;
}
