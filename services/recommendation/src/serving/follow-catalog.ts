import type { Logger } from "pino";
import { WakeableSleep } from "../../../shared/src/backoff.js";
import type { CatalogProduct } from "../models/catalog.js";
import type { LiveCatalog } from "./live-catalog.js";

/** The change-stream reader {@link followCatalog} drives (stream/catalog-change-consumer.ts). */
export interface CatalogChangeFollower {
  /** Whether the start offsets were recorded (before or after the served catalog was read). */
  readonly marked: boolean;
  /** Records the start offsets, failing after `timeoutMs` (ms) when the broker does not answer. */
  markStartWithin(timeoutMs: number): Promise<void>;
  /** Follows the topic from the recorded offsets. */
  start(): Promise<void>;
  /** Stops following. */
  stop(): Promise<void>;
}

/** A full read of the live catalog, in pages (`GrpcCatalogSource`: ProductService.ListProducts). */
export interface CatalogPages {
  /** The catalog's pages; throws UnavailableError while ProductService cannot answer. */
  pages(): AsyncIterable<readonly CatalogProduct[]>;
}

/** Options of {@link followCatalog}. */
export interface FollowCatalogOptions {
  /** Reads the catalog-changes topic. */
  readonly consumer: CatalogChangeFollower;
  /** Applies what it reads. */
  readonly live: LiveCatalog;
  /** Re-reads the whole catalog when the stream could not be followed from the first read on. */
  readonly catalogSource: CatalogPages;
  /** The process logger. */
  readonly logger: Logger;
  /** Wait between attempts while Kafka or ProductService is unreachable, in ms (default 5000). */
  readonly retryMs?: number;
}

/**
 * Starts following catalog changes in the background, never blocking serving:
 *
 * - start offsets recorded before the catalog was read (the normal start): follow from them;
 * - not recorded (Kafka was unreachable at start): retry until they are, then read the whole
 *   catalog again and make the served one equal to it (`LiveCatalog.resync`), then follow, so no
 *   write made while Kafka was away is lost;
 * - any failure is logged once per outage and retried every `retryMs`.
 *
 * @returns a handle whose `stop` ends the retries and the consumer.
 */
export function followCatalog(options: FollowCatalogOptions): { stop(): Promise<void> } {
  const sleeper = new WakeableSleep();
  let running = true;
  const retryMs = options.retryMs ?? 5_000;
  const loop = (async () => {
    let resync = !options.consumer.marked;
    let failures = 0;
    while (running) {
      try {
        if (!options.consumer.marked) await options.consumer.markStartWithin(retryMs);
        if (resync) {
          const products: CatalogProduct[] = [];
          for await (const page of options.catalogSource.pages()) products.push(...page);
          const result = await options.live.resync(products);
          options.logger.info({ products: products.length, ...result }, "catalog read again before following its changes");
          resync = false;
        }
        await options.consumer.start();
        if (failures > 0) options.logger.info({ attempts: failures }, "following catalog changes again");
        return;
      } catch (err) {
        failures += 1;
        if (failures === 1) {
          options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "cannot follow catalog changes yet; retrying in the background");
        }
        await options.consumer.stop().catch(() => undefined);
        await sleeper.sleep(retryMs);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      sleeper.stop();
      await loop;
      await options.consumer.stop();
    },
  };
}
