/** When the retrainer trains: the configured triggers (see `retrainConfigSchema`). */
export interface RetrainPolicy {
  /** Most time between the starts of two trainings, in ms; 0: no schedule. */
  readonly intervalMs: number;
  /** Train once this many events were accepted since the last training started; 0: no event trigger. */
  readonly afterEvents: number;
  /** How long after a failed training the next attempt may start, in ms. */
  readonly retryMs: number;
}

/** What the retrainer knows when it checks its triggers. */
export interface RetrainState {
  /** Whether a valid NeuMF artifact exists (one written by this process or found at start). */
  readonly hasModel: boolean;
  /**
   * When the data of the newest model was read, in ms since the Unix epoch: the start of the last
   * successful training, or the creation time of the artifact found at start; undefined when
   * there is none.
   */
  readonly lastTrainingAt: number | undefined;
  /** Events accepted since the last successful training started (0 when not counted). */
  readonly eventsSince: number;
  /** When the last failed attempt ended, in ms since the Unix epoch; undefined after a success. */
  readonly lastFailureAt: number | undefined;
}

/** Why a training starts: no model yet, the schedule, or the event count. */
export type RetrainReason = "no-model" | "schedule" | "events";

/**
 * Decides whether a training is due now. In order: nothing within `retryMs` of a failure; a
 * missing model trains at once (`no-model`: the first `npm start`); then the event count
 * (`events`, when `afterEvents` > 0 and at least that many were counted); then the schedule
 * (`schedule`, when `intervalMs` > 0 and that much time passed since `lastTrainingAt`). Pure:
 * the caller passes the clock's time.
 *
 * @param policy - the triggers.
 * @param state - what is known now.
 * @param nowMs - the time now, in ms since the Unix epoch.
 * @returns why to train now, or undefined when no training is due.
 */
export function retrainReason(policy: RetrainPolicy, state: RetrainState, nowMs: number): RetrainReason | undefined {
  if (state.lastFailureAt !== undefined && nowMs - state.lastFailureAt < policy.retryMs) return undefined;
  if (!state.hasModel) return "no-model";
  if (policy.afterEvents > 0 && state.eventsSince >= policy.afterEvents) return "events";
  if (policy.intervalMs > 0 && (state.lastTrainingAt === undefined || nowMs - state.lastTrainingAt >= policy.intervalMs)) return "schedule";
  return undefined;
}
