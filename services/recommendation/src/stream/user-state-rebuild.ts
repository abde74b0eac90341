import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { EngagementService } from "../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import type { Event } from "../../../../gen/recsys/engagement/v1/event_pb.js";
import { Outage } from "../../../shared/src/backoff.js";
import { dependencyError } from "../../../shared/src/peers/dependency-error.js";
import type { RedisUserStateStore, UserStateEvent, UserStateReadiness } from "../storage/user-state/redis-user-state-store.js";

/** Events per ScanEvents page asked for by {@link GrpcEventScanner} (the RPC's default). */
export const REBUILD_SCAN_PAGE_SIZE = 5_000;

/** Reads every stored engagement event, page by page: where a rebuild of the per-user state reads from. */
export interface EventScanner {
  /**
   * Pages through every event from the oldest accepted, starting afresh on each call.
   *
   * @param signal - aborts the call in progress (the process is stopping).
   * @throws UnavailableError when the source cannot answer now (the rebuild retries next round),
   *   another Error for any other failure.
   */
  pages(signal?: AbortSignal): AsyncIterable<readonly Event[]>;
}

/**
 * {@link EventScanner} over EngagementService.ScanEvents (an internal RPC: the client must send the
 * service token, see `serviceTokenInterceptor`), in acceptance order, pages of
 * {@link REBUILD_SCAN_PAGE_SIZE}. An empty page ends the scan even with a token, so a misbehaving
 * peer cannot loop the rebuild forever.
 */
export class GrpcEventScanner implements EventScanner {
  /**
   * @param client - an EngagementService client (see `createServiceClient`).
   * @param pageSize - events per page, 1 to 10000 (default {@link REBUILD_SCAN_PAGE_SIZE}).
   */
  constructor(
    private readonly client: Client<typeof EngagementService>,
    private readonly pageSize = REBUILD_SCAN_PAGE_SIZE,
  ) {}

  /**
   * @param signal - aborts the call in progress.
   * @throws UnavailableError "engagement service is unavailable, retry later" on an outage (and when
   *   aborted), Error "engagement service failed: CODE: message" otherwise (see `dependencyError`).
   */
  async *pages(signal?: AbortSignal): AsyncIterable<readonly Event[]> {
    let pageToken = "";
    do {
      let res;
      try {
        res = await this.client.scanEvents({ pageSize: this.pageSize, pageToken }, { signal });
      } catch (err) {
        throw dependencyError("engagement service", err);
      }
      yield res.events;
      pageToken = res.events.length > 0 ? res.nextPageToken : "";
    } while (pageToken !== "");
  }
}

/**
 * The per-user state's view of a stored event: user, product, type, value and `occur_time` in ms.
 *
 * @param event - an event as ScanEvents returns it.
 * @returns the event, or undefined when it lacks a user, a product or an occur_time (such an event
 *   cannot be placed in time; the engagement service never stores one). Unknown types are passed
 *   on: `applyBatch` ignores them.
 */
export function userStateEventOf(event: Event): UserStateEvent | undefined {
  if (!event.occurTime || event.userId === "" || event.productId === "") return undefined;
  return {
    userId: event.userId,
    productId: event.productId,
    type: event.type,
    value: event.value,
    occurredAtMs: timestampMs(event.occurTime),
  };
}

/** What a rebuild needs of the store. */
export type UserStateRebuildStore = Pick<
  RedisUserStateStore,
  "readiness" | "beginRebuild" | "extendRebuild" | "finishRebuild" | "clear" | "applyBatch"
>;

/** Options of {@link UserStateRebuild}. */
export interface UserStateRebuildOptions {
  /** The per-user state (the same Redis, prefix and rules as the consumer writes with). */
  readonly store: UserStateRebuildStore;
  /** Where every event is read from (normally a {@link GrpcEventScanner}). */
  readonly scanner: EventScanner;
  /** The process logger. */
  readonly logger: Logger;
  /** How often readiness is checked, in ms (default 1000, `USER_STATE_CHECK_MS`); also the retry interval after a failure. */
  readonly checkIntervalMs?: number;
  /** The rebuild lock's TTL, in ms (default 30000), extended after every page; a rebuild that dies holds it this long at most. */
  readonly lockTtlMs?: number;
  /** How often a running rebuild logs its progress, in ms (default 10000). */
  readonly progressIntervalMs?: number;
  /** Clock in ms (default `Date.now`), for the logged durations. */
  readonly now?: () => number;
}

/**
 * The outcome of one {@link UserStateRebuild.runOnce} round:
 * - `ready`: the store was ready, nothing to do;
 * - `busy`: another rebuild (another consumer process) holds the lock;
 * - `rebuilt`: this round scanned every event and marked the store ready;
 * - `lost`: the lock was lost midway (Redis restarted, or the TTL passed): the next round starts over;
 * - `failed`: Redis or the event source failed (logged once per outage): the next round retries;
 * - `stopped`: {@link UserStateRebuild.stop} was called midway.
 */
export type RebuildRound = "ready" | "busy" | "rebuilt" | "lost" | "failed" | "stopped";

/**
 * Builds the per-user state ({@link RedisUserStateStore}) from the engagement database when it is
 * missing (never built; Redis restarted empty or was flushed) or stale (built under other rules),
 * in the trending consumer process. Imported events never went through Kafka, so the stream alone
 * cannot build it.
 *
 * Every `checkIntervalMs` it reads the readiness marker; when missing or stale it takes the rebuild
 * lock (skipping the round when another process holds it), clears the old state first when stale,
 * scans every event ({@link EventScanner}), applies each page with `applyBatch`, extends the lock per
 * page, and finally marks the store ready, which succeeds only while the lock is still this
 * rebuild's (so a Redis that lost its data midway, lock included, is never marked ready
 * half-built). The stream keeps applying new events meanwhile: updates are last-writer-wins by
 * event time, so the scan and the stream may apply the same events in any order.
 *
 * Failures (Redis down, the engagement service unavailable) are logged once per outage and retried
 * the next round, from the first page, keeping the lock when it is still held; they never throw out
 * of the periodic check. A stopped rebuild leaves its lock to expire (`lockTtlMs`).
 */
export class UserStateRebuild {
  private readonly checkIntervalMs: number;
  private readonly lockTtlMs: number;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;
  private readonly outage: Outage;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RebuildRound> | undefined;
  private stopping = false;
  /** Aborts the scan call in progress on {@link stop}. */
  private abort = new AbortController();
  /** The lock token of an unfinished rebuild of this process, reused by the next round if still held. */
  private token: string | undefined;
  /** Whether "another rebuild holds the lock" was logged since the lock was last free. */
  private busyLogged = false;

  /** @param options - store, scanner, logger and intervals. */
  constructor(private readonly options: UserStateRebuildOptions) {
    this.checkIntervalMs = options.checkIntervalMs ?? 1_000;
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.outage = new Outage({ initialMs: this.checkIntervalMs, maxMs: this.checkIntervalMs }, this.now);
  }

  /** Starts the periodic check; the first round runs at once. */
  start(): void {
    this.stopping = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    if (this.timer === undefined && this.running === undefined) this.schedule(0);
  }

  /**
   * Stops the periodic check and waits for the round in progress, which abandons a rebuild (its
   * scan call is aborted; a Redis call in progress is waited for).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Runs one round now (the periodic check calls it; tests too): checks readiness and rebuilds
   * when needed. A round already in progress is joined, not doubled.
   *
   * @returns what the round did (never throws: failures are logged and answer `failed`).
   */
  runOnce(): Promise<RebuildRound> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce().then(() => {
        if (!this.stopping) this.schedule(this.checkIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async round(): Promise<RebuildRound> {
    const { logger } = this.options;
    try {
      const readiness = await this.options.store.readiness();
      // Ready (another process finished): an unfinished rebuild of ours is moot, its lock expires.
      if (readiness === "ready") this.token = undefined;
      const outcome = readiness === "ready" ? "ready" : await this.rebuild(readiness);
      const ended = this.outage.recover();
      if (ended) {
        logger.info(
          { outageMs: ended.outageMs, failedAttempts: ended.failedAttempts },
          "user state rebuild: Redis and the engagement service reachable again",
        );
      }
      return outcome;
    } catch (err) {
      if (this.stopping) return "stopped";
      if (this.outage.fail()) {
        logger.warn(
          { err: err instanceof Error ? err.message : String(err), retryMs: this.checkIntervalMs },
          "user state rebuild failing (Redis or the engagement service); readers use EngagementService meanwhile; retrying",
        );
      }
      return "failed";
    }
  }

  private async rebuild(readiness: Exclude<UserStateReadiness, "ready">): Promise<RebuildRound> {
    const { store, scanner, logger } = this.options;
    let token = this.token;
    if (token !== undefined && !(await store.extendRebuild(token, this.lockTtlMs))) token = undefined;
    token ??= await store.beginRebuild(this.lockTtlMs);
    if (token === undefined) {
      if (!this.busyLogged) logger.info({ readiness }, "user state: another process is rebuilding it; waiting");
      this.busyLogged = true;
      return "busy";
    }
    this.busyLogged = false;
    this.token = token;

    const started = this.now();
    if (readiness === "stale") {
      const deleted = await store.clear();
      logger.info({ deletedKeys: deleted }, "user state was built under other rules: cleared it");
    }
    logger.info({ readiness }, "user state rebuild started: scanning every engagement event");
    let events = 0;
    let changed = 0;
    let pages = 0;
    const users = new Set<string>();
    let lastProgress = started;
    for await (const page of scanner.pages(this.abort.signal)) {
      if (this.stopping) return "stopped";
      const batch: UserStateEvent[] = [];
      for (const e of page) {
        const event = userStateEventOf(e);
        if (event) {
          batch.push(event);
          users.add(event.userId);
        }
      }
      changed += await store.applyBatch(batch);
      events += page.length;
      pages += 1;
      if (!(await store.extendRebuild(token, this.lockTtlMs))) return this.lost(events);
      if (this.now() - lastProgress >= this.progressIntervalMs) {
        lastProgress = this.now();
        logger.info({ events, users: users.size, pages, elapsedMs: lastProgress - started }, "user state rebuild in progress");
      }
    }
    if (this.stopping) return "stopped";
    if (!(await store.finishRebuild(token))) return this.lost(events);
    this.token = undefined;
    logger.info(
      { events, users: users.size, changed, pages, ms: this.now() - started },
      "user state rebuilt: readers use it from now on",
    );
    return "rebuilt";
  }

  private lost(events: number): RebuildRound {
    this.token = undefined;
    this.options.logger.warn(
      { events },
      "user state rebuild lost its lock (Redis restarted or the lock expired); starting over next round",
    );
    return "lost";
  }
}
