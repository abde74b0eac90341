import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Logger } from "pino";
import type { CatalogChange, CatalogProduct } from "../models/catalog.js";
import type { ServingStateHolder } from "./serving-state.js";

/** Options of {@link LiveCatalog}. */
export interface LiveCatalogOptions {
  /** The process logger. */
  readonly logger: Logger;
  /**
   * Changes applied incrementally before the content model is vectorised again from scratch
   * (`ServingState.withRebuiltContent`, fresh idf), a count (default 500).
   */
  readonly rebuildAfterChanges?: number;
  /** Products per state swap within one batch, a count (default 20, ≈ 60 ms of event loop each on MovieLens: bench/live-catalog.ts): requests are served between chunks. */
  readonly chunkSize?: number;
  /** Called once per applied chunk with what it changed and how old each change was when served, in ms. */
  readonly onApplied?: (applied: { readonly upserts: number; readonly removals: number; readonly lagMs: readonly number[] }) => void;
}

/** What {@link LiveCatalog.resync} changed. */
export interface ResyncResult {
  /** Products added or whose text changed, a count. */
  readonly upserts: number;
  /** Products no longer in the catalog, a count. */
  readonly removals: number;
}

/**
 * Keeps the served catalog, content model and neighbour lists current with ProductService's writes,
 * without a restart: each batch of catalog changes (from the catalog-changes topic,
 * stream/catalog-change-consumer.ts) becomes a new {@link ServingState} (`withCatalogChanges`)
 * swapped in atomically, in chunks so that a large import does not hold the event loop.
 *
 * - Order: batches are applied one at a time; a change whose revision is not newer than the last
 *   one applied for its product is ignored (a redelivery).
 * - A change that alters none of the text the models read (title, categories, tags, description),
 *   say a price, changes nothing here.
 * - IDF drift: incremental updates keep the idf of known terms fixed (see `updateTfIdf`); after
 *   `rebuildAfterChanges` changes the content model is rebuilt from scratch over the live catalog
 *   (fresh idf) and swapped in, as NeuMF artifacts are. Neighbour lists are patched per change and
 *   rebuilt whole by the model build (`npm run build-models`).
 */
export class LiveCatalog {
  private readonly revisions = new Map<string, number>();
  private readonly rebuildAfter: number;
  private readonly chunkSize: number;
  private changesSinceRebuild = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private appliedTotal = 0;

  /**
   * @param holder - the served state, replaced after each chunk.
   * @param options - logger and tuning.
   */
  constructor(
    private readonly holder: ServingStateHolder,
    private readonly options: LiveCatalogOptions,
  ) {
    this.rebuildAfter = options.rebuildAfterChanges ?? 500;
    this.chunkSize = options.chunkSize ?? 20;
  }

  /** Changes applied since start, a count. */
  get applied(): number {
    return this.appliedTotal;
  }

  /**
   * Applies changes in log order (after those already queued).
   *
   * @param changes - decoded ProductChange messages.
   * @returns when they are served.
   */
  apply(changes: readonly CatalogChange[]): Promise<void> {
    const run = this.queue.then(() => this.applyNow(changes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes the served catalog equal to `products` (a full read of ProductService, after the change
   * stream could not be followed from the start): products that differ or are new are upserted,
   * products missing from the list are removed.
   *
   * @param products - the whole live catalog.
   */
  resync(products: readonly CatalogProduct[]): Promise<ResyncResult> {
    const run = this.queue.then(async () => {
      const current = this.holder.current().catalog;
      const now = Date.now();
      const live = new Set(products.map((p) => p.productId));
      const changes: CatalogChange[] = [];
      for (const p of products) {
        const held = current.get(p.productId);
        if (!held || !sameText(held, p)) changes.push({ product: p, archived: false, revision: 0, committedAtMs: now });
      }
      for (const p of current.products()) {
        if (!live.has(p.productId)) changes.push({ product: p, archived: true, revision: 0, committedAtMs: now });
      }
      const upserts = changes.filter((c) => !c.archived).length;
      await this.applyNow(changes, false);
      return { upserts, removals: changes.length - upserts };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(changes: readonly CatalogChange[], checkRevisions = true): Promise<void> {
    // The last change of each product wins; older or repeated revisions are dropped.
    const latest = new Map<string, CatalogChange>();
    for (const change of changes) {
      const id = change.product.productId;
      if (checkRevisions && change.revision <= (this.revisions.get(id) ?? 0)) continue;
      latest.set(id, change);
      if (checkRevisions) this.revisions.set(id, change.revision);
    }
    const pending = [...latest.values()];
    for (let i = 0; i < pending.length; i += this.chunkSize) {
      if (i > 0) await yieldToEventLoop();
      const chunk = pending.slice(i, i + this.chunkSize);
      const state = this.holder.current();
      const upserts: CatalogProduct[] = [];
      const removals: string[] = [];
      for (const c of chunk) {
        const held = state.catalog.get(c.product.productId);
        if (c.archived) {
          if (held) removals.push(c.product.productId);
        } else if (!held || !sameText(held, c.product)) {
          upserts.push(c.product);
        }
      }
      if (upserts.length > 0 || removals.length > 0) this.holder.replace(state.withCatalogChanges(upserts, removals));
      const servedAt = Date.now();
      this.appliedTotal += chunk.length;
      this.changesSinceRebuild += upserts.length + removals.length;
      this.options.onApplied?.({ upserts: upserts.length, removals: removals.length, lagMs: chunk.map((c) => servedAt - c.committedAtMs) });
    }
    if (this.changesSinceRebuild >= this.rebuildAfter) {
      const started = Date.now();
      await yieldToEventLoop();
      this.holder.replace(this.holder.current().withRebuiltContent());
      this.options.logger.info({ changes: this.changesSinceRebuild, ms: Date.now() - started }, "content model rebuilt over the live catalog (fresh idf)");
      this.changesSinceRebuild = 0;
    }
  }
}

/** Whether two products have the same text for the content model. */
function sameText(a: CatalogProduct, b: CatalogProduct): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.categories.length === b.categories.length &&
    a.categories.every((c, i) => c === b.categories[i]) &&
    a.tags.length === b.tags.length &&
    a.tags.every((t, i) => t === b.tags[i])
  );
}
