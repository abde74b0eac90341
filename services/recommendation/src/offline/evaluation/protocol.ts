import { compareIds } from "../../../../shared/src/ids.js";
import type { RatedInteraction } from "./interactions.js";
import { sampleNegatives } from "./negatives.js";
import { mulberry32 } from "../../models/prng.js";
import { leaveOneOutSplit, newestFirst } from "./split.js";

/** One evaluated user: the held-out item and the sampled negatives, as item indices. */
export interface TestCase {
  /** The user's index in {@link EvaluationData.userIds}. */
  readonly user: number;
  /** The held-out item's index in {@link EvaluationData.itemIds}. */
  readonly heldOut: number;
  /** The sampled items the user never interacted with, distinct, in draw order. */
  readonly negatives: Int32Array;
}

/** The data of one evaluation run, indexed for fast scoring. */
export interface EvaluationData {
  /** The item universe: the catalog plus any interacted product missing from it, in id order. */
  readonly itemIds: readonly string[];
  /** Position of each item id in `itemIds`. */
  readonly itemIndex: ReadonlyMap<string, number>;
  /** Every user with interactions, in id order. */
  readonly userIds: readonly string[];
  /** Position of each user id in `userIds`. */
  readonly userIndex: ReadonlyMap<string, number>;
  /** The training interactions (everything but the held-out ones), in input order. */
  readonly train: readonly RatedInteraction[];
  /** Each user's distinct training items, newest first (see `newestFirst`). */
  readonly trainItems: readonly Int32Array[];
  /** The evaluated users (all of them, or a seeded sample), in user-id order. */
  readonly cases: readonly TestCase[];
  /** The seed the negatives (and the user sample) were drawn with. */
  readonly seed: number;
}

/** Options of {@link prepareEvaluation}. */
export interface ProtocolOptions {
  /** Seed of the negative sampling and of the user sample (an integer). */
  readonly seed: number;
  /** Negatives per user (default 99, as in the NCF paper). */
  readonly negatives?: number;
  /** Evaluate only this many users, a seeded uniform sample (default: every user). */
  readonly users?: number;
}

/**
 * Prepares the leave-one-out evaluation of He et al., "Neural Collaborative Filtering", WWW 2017,
 * §4.1 (https://arxiv.org/abs/1708.05031): splits off each user's latest interaction
 * ({@link leaveOneOutSplit}), and samples for each evaluated user `negatives` items of the universe
 * the user never interacted with (neither in training nor held out).
 *
 * Sampling is seeded per user (`evaluationSeed(seed, userId)`), so a user's candidates depend only on
 * the seed and the data, not on which other users are evaluated. Models train on `train` whatever
 * the user sample.
 *
 * @param catalogIds - the catalog's product ids (the coverage denominator and sampling universe).
 * @param interactions - every interaction of the data set.
 * @param options - seed, negatives per user, user sample size.
 * @throws RangeError when a user has fewer than `negatives` items left to sample.
 */
export function prepareEvaluation(
  catalogIds: Iterable<string>,
  interactions: readonly RatedInteraction[],
  options: ProtocolOptions,
): EvaluationData {
  const negatives = options.negatives ?? 99;
  const { train, heldOut } = leaveOneOutSplit(interactions);

  const items = new Set(catalogIds);
  for (const e of interactions) items.add(e.productId);
  const itemIds = [...items].sort(compareIds);
  const itemIndex = new Map(itemIds.map((id, i) => [id, i] as const));
  const userIds = [...new Set(interactions.map((e) => e.userId))].sort(compareIds);
  const userIndex = new Map(userIds.map((id, i) => [id, i] as const));

  const byUser: RatedInteraction[][] = userIds.map(() => []);
  for (const e of train) byUser[userIndex.get(e.userId)!]!.push(e);
  const trainItems = byUser.map((list) => {
    const ordered = [...list].sort(newestFirst);
    const distinct: number[] = [];
    const seen = new Set<number>();
    for (const e of ordered) {
      const i = itemIndex.get(e.productId)!;
      if (!seen.has(i)) distinct.push(i), seen.add(i);
    }
    return Int32Array.from(distinct);
  });

  let evaluated = heldOut;
  if (options.users !== undefined && options.users < heldOut.length) {
    const random = mulberry32(evaluationSeed(options.seed, "users"));
    const shuffled = [...heldOut];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    evaluated = shuffled.slice(0, Math.max(0, options.users)).sort((a, b) => compareIds(a.userId, b.userId));
  }

  const cases = evaluated.map((e) => {
    const user = userIndex.get(e.userId)!;
    const held = itemIndex.get(e.productId)!;
    const interacted = new Set(trainItems[user]);
    interacted.add(held);
    const random = mulberry32(evaluationSeed(options.seed, e.userId));
    return { user, heldOut: held, negatives: sampleNegatives(random, itemIds.length, interacted, negatives) };
  });
  return { itemIds, itemIndex, userIds, userIndex, train, trainItems, cases, seed: options.seed };
}

/**
 * Derives a 32-bit seed from a run seed and a key (for example a user id) with FNV-1a
 * (http://www.isthe.com/chongo/tech/comp/fnv/), so each user gets its own stream: a user's
 * sampled items do not depend on which other users are evaluated. The evaluation's own
 * derivation, kept apart from training's `deriveSeed` (offline/training/prng.ts, a different
 * mix): the published evaluation figures depend on these exact seeds.
 *
 * @param seed - the run seed (an integer).
 * @param key - the stream's key.
 * @returns an unsigned 32-bit integer.
 */
export function evaluationSeed(seed: number, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed >>> 0}:${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
