import { compareIds } from "../../../../shared/src/ids.js";
import type { RatedInteraction } from "./interactions.js";
import { sampleNegatives } from "./negatives.js";
import { mulberry32 } from "../../models/prng.js";
import { leaveOneOutSplit, newestFirst, timeSplit } from "./split.js";

/** One evaluated user: the held-out items and the sampled negatives, as item indices. */
export interface TestCase {
  /** The user's index in {@link EvaluationData.userIds}. */
  readonly user: number;
  /**
   * The held-out item's index in {@link EvaluationData.itemIds}: the user's latest interaction
   * (leave-one-out), or the earliest of the user's items after the cut (time-based); the item
   * the sampled protocol ranks.
   */
  readonly heldOut: number;
  /**
   * Every held-out item of the user, distinct, `heldOut` first: one item under leave-one-out, all
   * the user's items after the cut that are not in training under the time-based protocol.
   */
  readonly relevant: Int32Array;
  /** The sampled items the user never interacted with, distinct, in draw order (empty when no negatives are sampled). */
  readonly negatives: Int32Array;
}

/**
 * Which data an evaluation reports on:
 * - "test": train on everything but each user's held-out interactions, evaluate on those;
 * - "validation": remove the test interactions first, then hold out each user's latest remaining
 *   interaction (the second-latest overall) and train on the rest: hyper-parameters and blend
 *   weights are chosen here, so the test split is touched once.
 */
export type EvaluationSplit = "test" | "validation";

/**
 * How interactions are split:
 * - "leave-one-out": each user's latest interaction is held out (He et al., WWW 2017, §4.1);
 * - "time": a global cut by timestamp at the `cutQuantile` quantile of all interaction times;
 *   training is everything before it, and each user with training interactions and later items
 *   is evaluated on all those later items (no information from after the cut reaches training).
 */
export type SplitProtocol = "leave-one-out" | "time";

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
  /** The split protocol. */
  readonly protocol: SplitProtocol;
  /** The split evaluated. */
  readonly split: EvaluationSplit;
  /** The time-based protocol's cut, in ms since the epoch (undefined under leave-one-out). */
  readonly cutMs?: number | undefined;
}

/** Options of {@link prepareEvaluation}. */
export interface ProtocolOptions {
  /** Seed of the negative sampling and of the user sample (an integer). */
  readonly seed: number;
  /** Negatives per user (default 99, as in the NCF paper; 0 samples none, for full ranking only). */
  readonly negatives?: number;
  /** Evaluate only this many users, a seeded uniform sample (default: every user). */
  readonly users?: number;
  /** The split protocol (default "leave-one-out"). */
  readonly protocol?: SplitProtocol;
  /** The split evaluated (default "test"). */
  readonly split?: EvaluationSplit;
  /**
   * The time-based protocol's cut as a quantile of all interaction timestamps, in (0, 1)
   * (default 0.8: the latest 20% of interactions are held out).
   */
  readonly cutQuantile?: number;
}

/**
 * Prepares an evaluation. Under leave-one-out (He et al., "Neural Collaborative Filtering", WWW
 * 2017, §4.1, https://arxiv.org/abs/1708.05031) each user's latest interaction is split off
 * ({@link leaveOneOutSplit}); on the validation split it is split off twice and the second one is
 * evaluated, so nothing of the test split is seen. Under the time-based protocol the split is a
 * global cut by timestamp ({@link timeSplit}); its validation split cuts the training part again
 * at the same quantile. Then, for each evaluated user, `negatives` items of the universe the user
 * never interacted with (neither in training nor held out) are sampled, for the sampled protocol.
 *
 * Sampling is seeded per user (`evaluationSeed(seed, userId)`), so a user's candidates depend only on
 * the seed and the data, not on which other users are evaluated. Models train on `train` whatever
 * the user sample.
 *
 * @param catalogIds - the catalog's product ids (the coverage denominator and sampling universe).
 * @param interactions - every interaction of the data set.
 * @param options - seed, negatives per user, user sample size, protocol, split, cut quantile.
 * @throws RangeError when a user has fewer than `negatives` items left to sample, or the cut
 *   quantile is not in (0, 1).
 */
export function prepareEvaluation(
  catalogIds: Iterable<string>,
  interactions: readonly RatedInteraction[],
  options: ProtocolOptions,
): EvaluationData {
  const negatives = options.negatives ?? 99;
  const protocol = options.protocol ?? "leave-one-out";
  const split = options.split ?? "test";
  let train: readonly RatedInteraction[];
  let heldOutEvents: readonly RatedInteraction[];
  let cutMs: number | undefined;
  if (protocol === "leave-one-out") {
    const first = leaveOneOutSplit(interactions);
    ({ train, heldOut: heldOutEvents } = split === "test" ? first : leaveOneOutSplit(first.train));
  } else {
    const q = options.cutQuantile ?? 0.8;
    if (!(q > 0 && q < 1)) throw new RangeError(`cutQuantile must be in (0, 1), got ${q}`);
    const first = timeSplit(interactions, q);
    const chosen = split === "test" ? first : timeSplit(first.train, q);
    ({ train, heldOut: heldOutEvents, cutMs } = chosen);
  }

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

  // Each evaluated user's held-out items, oldest first (distinct, none in training).
  const heldByUser = new Map<string, RatedInteraction[]>();
  for (const e of [...heldOutEvents].sort((a, b) => -newestFirst(a, b))) {
    const user = userIndex.get(e.userId)!;
    const item = itemIndex.get(e.productId)!;
    if (trainItems[user]!.includes(item)) continue;
    const list = heldByUser.get(e.userId) ?? [];
    if (!list.some((x) => x.productId === e.productId)) list.push(e);
    heldByUser.set(e.userId, list);
  }
  let evaluated = [...heldByUser.keys()].filter((u) => trainItems[userIndex.get(u)!]!.length > 0).sort(compareIds);
  if (options.users !== undefined && options.users < evaluated.length) {
    const random = mulberry32(evaluationSeed(options.seed, "users"));
    const shuffled = [...evaluated];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    evaluated = shuffled.slice(0, Math.max(0, options.users)).sort(compareIds);
  }

  const cases = evaluated.map((userId) => {
    const user = userIndex.get(userId)!;
    const relevant = Int32Array.from(heldByUser.get(userId)!, (e) => itemIndex.get(e.productId)!);
    const interacted = new Set(trainItems[user]);
    for (const r of relevant) interacted.add(r);
    const random = mulberry32(evaluationSeed(options.seed, userId));
    const sampled = negatives > 0 ? sampleNegatives(random, itemIds.length, interacted, negatives) : new Int32Array(0);
    return { user, heldOut: relevant[0]!, relevant, negatives: sampled };
  });
  return { itemIds, itemIndex, userIds, userIndex, train, trainItems, cases, seed: options.seed, protocol, split, cutMs };
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
