/** Why a training starts. */
export type RetrainReason = "no-model" | "schedule" | "events";

/** The triggers of background retraining (`RETRAIN_*` settings). */
export interface RetrainPolicy {
  /** Train again this long after the last training started, in ms (0 = never on a schedule). */
  readonly intervalMs: number;
  /** Train again once this many new engagement messages arrived since the last training started, a count (0 = never on events). */
  readonly afterEvents: number;
}

/** What {@link retrainReason} decides on. */
export interface RetrainState {
  /** Now, in ms since the epoch. */
  readonly nowMs: number;
  /** Whether a valid NeuMF artifact exists. */
  readonly hasModel: boolean;
  /** When the served model's training started (its artifact's createdAt, or this process's last start of one), in ms since the epoch. */
  readonly lastTrainedAtMs: number | undefined;
  /** New engagement messages since then, a count; undefined when Kafka cannot be asked. */
  readonly eventsSince: number | undefined;
}

/**
 * Decides whether to train now: at once when there is no model (a fresh machine serves content,
 * popularity and trending meanwhile), else when the schedule is due or enough new events arrived,
 * whichever comes first.
 *
 * @param policy - the triggers.
 * @param state - the model and the events since it.
 * @returns the reason to train, or undefined to wait.
 */
export function retrainReason(policy: RetrainPolicy, state: RetrainState): RetrainReason | undefined {
  if (!state.hasModel || state.lastTrainedAtMs === undefined) return "no-model";
  if (policy.intervalMs > 0 && state.nowMs - state.lastTrainedAtMs >= policy.intervalMs) return "schedule";
  if (policy.afterEvents > 0 && state.eventsSince !== undefined && state.eventsSince >= policy.afterEvents) return "events";
  return undefined;
}
