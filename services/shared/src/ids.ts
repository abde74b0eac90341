/**
 * Orders product ids for deterministic tie-breaks: numerically when both are decimal integers
 * (MovieLens ids: "2" before "10"), else by UTF-16 code units.
 *
 * @returns negative when a sorts first, positive when b does, 0 when equal.
 */
export function compareIds(a: string, b: string): number {
  if (/^\d{1,15}$/.test(a) && /^\d{1,15}$/.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
