import { counterFrom, gaugeFrom } from "../../../../shared/src/metrics.js";
import type { RetrainerStatus } from "./retrainer.js";

/**
 * Registers the retrainer's metrics in the process registry, read from its status at each scrape:
 * - `recsys_retrain_last_success_timestamp_seconds`: when the last successful training started
 *   (the newest model's data read), Unix seconds; absent while there is none;
 * - `recsys_retrain_last_duration_seconds`: how long it took;
 * - `recsys_retrain_events_since_training`: engagement events counted since then;
 * - `recsys_retrain_in_progress`: 1 while a training runs;
 * - `recsys_retrain_trainings_total`, `recsys_retrain_failures_total`: trainings that wrote an
 *   artifact, and that failed, since the process started.
 *
 * @param status - the retrainer's status now (`Retrainer.status`).
 */
export function registerRetrainMetrics(status: () => RetrainerStatus): void {
  gaugeFrom("recsys_retrain_last_success_timestamp_seconds", "When the data of the newest NeuMF model was read (its training started), Unix seconds.", () => {
    const at = status().lastTrainingAt;
    return at === undefined ? undefined : at / 1000;
  });
  gaugeFrom("recsys_retrain_last_duration_seconds", "How long the last successful NeuMF training took, in seconds.", () => {
    const ms = status().lastDurationMs;
    return ms === undefined ? undefined : ms / 1000;
  });
  gaugeFrom("recsys_retrain_events_since_training", "Engagement events counted since the last successful NeuMF training started.", () => status().eventsSince);
  gaugeFrom("recsys_retrain_in_progress", "1 while a NeuMF training runs, else 0.", () => (status().training ? 1 : 0));
  counterFrom("recsys_retrain_trainings_total", "NeuMF trainings that wrote an artifact since the process started.", () => status().succeeded);
  counterFrom("recsys_retrain_failures_total", "NeuMF trainings that failed since the process started.", () => status().failed);
}
