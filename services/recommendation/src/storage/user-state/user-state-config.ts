import { z } from "zod";
import { ENGAGEMENT_KINDS, type EngagementKind } from "../../../../shared/src/event-kinds.js";

/**
 * Environment variables of the per-user state (shared by the trending consumer, which writes it,
 * and the recommendation service, which reads it and falls back to EngagementService without it;
 * both must agree, and the stored state records the values it was built with, see
 * `UserStateRules.fingerprint`):
 * - `RECOMMEND_POSITIVE_RATING` (3.5): a rating at or above this (0.5 to 5 stars) is a positive.
 * - `RECOMMEND_SEEN_EVENT_TYPES` (rate,like,dislike): comma-separated event kinds (click, view,
 *   like, dislike, rate) that exclude a product from the user's recommendations; empty for none.
 * - `USER_STATE_MAX_SEEN` (5000, 1 to 100000): the most recent seen products kept per user (and
 *   the most recent explicit opinions); older ones fall out, so a user's state is bounded by count.
 * - `USER_STATE_MAX_POSITIVES` (200, 1 to 10000): the most recent positives kept per user (at
 *   least `RECOMMEND_RECENT_POSITIVES`, which a request uses).
 */
export const userStateConfigShape = {
  RECOMMEND_POSITIVE_RATING: z.coerce.number().min(0.5).max(5).default(3.5).describe("A rating at or above this many stars is a positive (content candidates, per-user state). The recommendation service and the trending consumer must agree."),
  RECOMMEND_SEEN_EVENT_TYPES: z
    .string()
    .default("rate,like,dislike")
    .transform((value, ctx) => {
      const kinds = new Set<EngagementKind>();
      for (const raw of value.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")) {
        if (!(ENGAGEMENT_KINDS as readonly string[]).includes(raw)) {
          ctx.addIssue({ code: "custom", message: `unknown event type "${raw}" (expected ${ENGAGEMENT_KINDS.join(", ")})` });
          return z.NEVER;
        }
        kinds.add(raw as EngagementKind);
      }
      return kinds as ReadonlySet<EngagementKind>;
    })
    .describe("Comma-separated event kinds (click, view, like, dislike, rate) that exclude a product from the user's recommendations; empty for none. The recommendation service and the trending consumer must agree."),
  USER_STATE_MAX_SEEN: z.coerce.number().int().min(1).max(100_000).default(5_000).describe("Most recent seen products (and explicit opinions) kept per user in the per-user state in Redis, a count."),
  USER_STATE_MAX_POSITIVES: z.coerce.number().int().min(1).max(10_000).default(200).describe("Most recent positives kept per user in the per-user state, a count; at least RECOMMEND_RECENT_POSITIVES."),
};

/** The validated per-user state settings (the fields of {@link userStateConfigShape}). */
export type UserStateConfig = z.infer<z.ZodObject<typeof userStateConfigShape>>;

/** How events become per-user state: the rules of `buildUserProfile`, applied event by event. */
export interface UserStateRules {
  /** A rating at or above this many stars is a positive (3.5). */
  readonly positiveRating: number;
  /** Event kinds that make a product seen (rate, like, dislike). */
  readonly seenKinds: ReadonlySet<EngagementKind>;
  /** Most recent seen products (and explicit opinions) kept per user, a count (5000). */
  readonly maxSeen: number;
  /** Most recent positives kept per user, a count (200). */
  readonly maxPositives: number;
}

/**
 * The rules from the configuration.
 *
 * @param config - any object holding the fields of {@link userStateConfigShape}.
 */
export function userStateRules(config: UserStateConfig): UserStateRules {
  return {
    positiveRating: config.RECOMMEND_POSITIVE_RATING,
    seenKinds: config.RECOMMEND_SEEN_EVENT_TYPES,
    maxSeen: config.USER_STATE_MAX_SEEN,
    maxPositives: config.USER_STATE_MAX_POSITIVES,
  };
}

/**
 * A string that changes whenever the rules change what is stored, e.g.
 * `v1;positive=3.5;seen=dislike,like,rate;maxSeen=5000;maxPositives=200`. The store's readiness
 * marker holds it: a reader with other rules falls back to the engagement service, and the writer
 * rebuilds the state with its own.
 */
export function rulesFingerprint(rules: UserStateRules): string {
  const seen = [...rules.seenKinds].sort().join(",");
  return `v1;positive=${rules.positiveRating};seen=${seen};maxSeen=${rules.maxSeen};maxPositives=${rules.maxPositives}`;
}
