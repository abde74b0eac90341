/** Most entries {@link RecentErrors} keeps. */
export const MAX_RECENT_ERRORS = 20;

/** One entry of {@link RecentErrors}. */
export interface RecentErrorEntry {
  /** When it was last noticed, in ms since the epoch. */
  readonly atMs: number;
  /** The component: `impressions`, `signals`, `engagement-status`, `consumer-lag`. */
  readonly source: string;
  /** What went wrong. */
  readonly message: string;
  /** How many times in a row the same source and message were noticed. */
  readonly count: number;
}

/**
 * The latest problems this process noticed, for the operator's status page: a ring of at most
 * {@link MAX_RECENT_ERRORS} entries, newest first, where a repeat of the newest entry (same source
 * and message) only bumps its count and time, so a burst of one problem (an outage failing every
 * write, every answer served without trending) takes one entry. O(1) per record; never throws.
 */
export class RecentErrors {
  private entries: RecentErrorEntry[] = [];

  /** @param now - clock in ms since the epoch (default `Date.now`). */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Notes a problem.
   *
   * @param source - the component.
   * @param message - what went wrong (the same text for the same problem, so repeats fold).
   */
  record(source: string, message: string): void {
    const newest = this.entries[0];
    if (newest && newest.source === source && newest.message === message) {
      this.entries[0] = { ...newest, atMs: this.now(), count: newest.count + 1 };
      return;
    }
    this.entries.unshift({ atMs: this.now(), source, message, count: 1 });
    if (this.entries.length > MAX_RECENT_ERRORS) this.entries.length = MAX_RECENT_ERRORS;
  }

  /** The entries, newest first. */
  list(): readonly RecentErrorEntry[] {
    return this.entries;
  }
}

/** The NeuMF model being served, as its artifact records it. */
export interface ServedModelInfo {
  /** The artifact's version (its directory name). */
  readonly version: string;
  /** HR@10 of the artifact's last validation epoch (`metrics.json`), when it had one. */
  readonly hr10?: number;
  /** NDCG@10 of the same validation, when it had one. */
  readonly ndcg10?: number;
  /** Users behind those figures (0 without validation). */
  readonly validationUsers: number;
  /** When the artifact was written (its manifest's createdAt), in ms since the epoch. */
  readonly createdAtMs: number;
}

/** The engagement service's view of its load (EngagementService.GetEngagementStatus). */
export interface EngagementLoad {
  /** Events accepted over the last minute / 60. */
  readonly eventsPerSecond: number;
  /** Outbox rows not yet in Kafka. */
  readonly outboxPendingRows: number;
  /** Age of the oldest outbox row, in seconds (0 when empty). */
  readonly outboxOldestRowAgeSeconds: number;
}

/** Where GetServingStatus reads each part of the status; wired by the process's `main.ts`. */
export interface ServingStatusSources {
  /** The served NeuMF model, or undefined while none is. */
  model(): ServedModelInfo | undefined;
  /** Whether the trending store (Redis) connection is ready now. */
  trendingStoreUp(): boolean;
  /**
   * Whether the item-KNN half of the collaborative signal is served (its neighbours are loaded and
   * RECOMMEND_NEUMF_SHARE < 1), so the signal stands without a NeuMF model (default: no).
   */
  itemKnnServed?(): boolean;
  /**
   * The engagement service's load.
   *
   * @throws when the engagement service does not answer.
   */
  engagementLoad(): Promise<EngagementLoad>;
  /**
   * The trending consumer group's lag on the engagement topic, summed over partitions, in messages.
   *
   * @throws when Kafka does not answer.
   */
  consumerLag(): Promise<number>;
  /** The process's recent problems. */
  readonly recentErrors: RecentErrors;
}

/** The assembled status (see {@link readServingStatus}). */
export interface ServingStatus {
  /** The served model, or undefined. */
  readonly model?: ServedModelInfo;
  /** `collaborative` without a NeuMF model and without item-KNN, `trending` while Redis is unreachable. */
  readonly unavailableSignals: readonly string[];
  /** The engagement service's load, or undefined when it did not answer in time. */
  readonly engagement?: EngagementLoad;
  /** The consumer lag in messages, or undefined when Kafka did not answer in time. */
  readonly consumerLag?: number;
  /** Recent problems, newest first (this call's own failures included). */
  readonly recentErrors: readonly RecentErrorEntry[];
  /** When it was taken, in ms since the epoch. */
  readonly atMs: number;
}

/**
 * Reads every part of the status at once, each remote part bounded by `timeoutMs`: a part that
 * fails or times out is left out (and noted in the recent errors), so the operator's page always
 * gets an answer within about `timeoutMs`.
 *
 * @param sources - where the parts come from.
 * @param timeoutMs - longest wait for the engagement service and for Kafka, in ms.
 * @param now - clock in ms since the epoch.
 * @returns the status.
 */
export async function readServingStatus(sources: ServingStatusSources, timeoutMs: number, now: () => number = Date.now): Promise<ServingStatus> {
  const bounded = async <T>(source: string, part: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([part(), timeout]);
    } catch (err) {
      sources.recentErrors.record(source, err instanceof Error ? err.message : String(err));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  const [engagement, consumerLag] = await Promise.all([
    bounded("engagement-status", () => sources.engagementLoad()),
    bounded("consumer-lag", () => sources.consumerLag()),
  ]);
  const model = sources.model();
  const unavailableSignals: string[] = [];
  if (!model && !(sources.itemKnnServed?.() ?? false)) unavailableSignals.push("collaborative");
  if (!sources.trendingStoreUp()) unavailableSignals.push("trending");
  return {
    ...(model ? { model } : {}),
    unavailableSignals,
    ...(engagement ? { engagement } : {}),
    ...(consumerLag !== undefined ? { consumerLag } : {}),
    recentErrors: sources.recentErrors.list(),
    atMs: now(),
  };
}
