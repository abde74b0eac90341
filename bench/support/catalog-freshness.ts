import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { EventType } from "../../gen/recsys/engagement/v1/event_pb.js";
import type { EngagementService } from "../../gen/recsys/engagement/v1/engagement_service_pb.js";
import type { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import type { RecommendationService } from "../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import type { UserService } from "../../gen/recsys/user/v1/user_service_pb.js";

/** The reads a catalog write must reach, in the order they are reported. */
export const CATALOG_READS = ["GetProduct", "search", "similar", "content recs", "trending"] as const;

/** One read of {@link CATALOG_READS}. */
export type CatalogRead = (typeof CATALOG_READS)[number];

/** What {@link measureCatalogFreshness} measured: per read, the delay of each cycle, in ms. */
export interface CatalogFreshness {
  /** From CreateProduct returning to the product being in each read (trending: from its clicks returning). */
  readonly created: Record<CatalogRead, number[]>;
  /** From DeleteProduct returning to the product being gone from each read. */
  readonly archived: Record<CatalogRead, number[]>;
  /** Reads that did not reach the state within the deadline, by phase and read (a count). */
  readonly timeouts: Record<string, number>;
}

/** The mesh clients {@link measureCatalogFreshness} calls (each with the service token). */
export interface CatalogFreshnessClients {
  readonly product: Client<typeof ProductService>;
  readonly user: Client<typeof UserService>;
  readonly engagement: Client<typeof EngagementService>;
  readonly recommendation: Client<typeof RecommendationService>;
}

/**
 * Measures how fast a product write reaches every read: `cycles` times, creates a product with a
 * string SKU whose text copies a seed movie's (title, genres, tags) plus a category and a word of its
 * own, and from CreateProduct returning polls every `pollMs` until it is in GetProduct, in
 * ListProducts' full-text search (its own word), in GetSimilarProducts of the seed (top 50), and in
 * the content recommendations (weights relevance 1, content 1, top 50) of a user whose only positive
 * is the seed; then records 5 clicks on it and polls GetTrending of its own category; then archives
 * it (DeleteProduct) and polls until it is gone from all five. Cycles run one after another; each
 * read's delay is the time from the write returning to the first poll that saw the new state, so
 * `pollMs` bounds the resolution.
 *
 * @param clients - gRPC clients of the mesh.
 * @param seeds - ids of catalog products to copy the text of (cycled through).
 * @param options - cycles (count), pollMs (ms), timeoutMs per read (ms), runId (unique per run).
 */
export async function measureCatalogFreshness(
  clients: CatalogFreshnessClients,
  seeds: readonly string[],
  options: { readonly cycles: number; readonly pollMs: number; readonly timeoutMs: number; readonly runId: string },
): Promise<CatalogFreshness> {
  const { product, user, engagement, recommendation } = clients;
  const created = Object.fromEntries(CATALOG_READS.map((r) => [r, [] as number[]])) as Record<CatalogRead, number[]>;
  const archived = Object.fromEntries(CATALOG_READS.map((r) => [r, [] as number[]])) as Record<CatalogRead, number[]>;
  const timeouts: Record<string, number> = {};
  const call = { timeoutMs: 5_000 };

  // One user per seed whose only positive is the seed (a LIKE), for the content recommendations.
  const fans = new Map<string, string>();
  for (const [i, seed] of seeds.entries()) {
    const account = await user.createUser({ username: `cf-${options.runId}-${i}`, email: `cf-${options.runId}-${i}@example.com`, password: "bench-password-1" }, call);
    const userId = account.user!.userId;
    await engagement.recordEvent({ eventId: `cf-${options.runId}-like-${i}`, userId, productId: seed, type: EventType.LIKE }, call);
    fans.set(seed, userId);
  }
  // Wait until each fan's recommendations are built from that like (content neighbours of the seed).
  for (const [seed, userId] of fans) {
    await until(async () => {
      const res = await recommendation.getRecommendations({ userId, limit: 10, weights: { relevance: 1, trending: 0, collaborative: 0, content: 1 } }, call);
      return res.strategy === "personalized" ? true : undefined;
    }, 30_000, 50).catch(() => {
      throw new Error(`the content recommendations of the fan of ${seed} did not form within 30 s`);
    });
  }

  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const seedId = seeds[cycle % seeds.length]!;
    const seed = (await product.getProduct({ productId: seedId }, call)).product!;
    const sku = `sku-${options.runId}_${cycle}.1`;
    const word = `zq${options.runId}x${cycle}`;
    const category = `Bench ${options.runId} ${cycle}`;
    const fan = fans.get(seedId)!;
    const probes: Record<CatalogRead, () => Promise<boolean>> = {
      GetProduct: async () => {
        try {
          await product.getProduct({ productId: sku }, call);
          return true;
        } catch (err) {
          if (ConnectError.from(err).code === Code.NotFound) return false;
          throw err;
        }
      },
      search: async () => (await product.listProducts({ query: word, pageSize: 10 }, call)).products.some((p) => p.productId === sku),
      similar: async () => (await recommendation.getSimilarProducts({ productId: seedId, limit: 50 }, call)).items.some((i) => i.productId === sku),
      "content recs": async () =>
        (
          await recommendation.getRecommendations({ userId: fan, limit: 50, weights: { relevance: 1, trending: 0, collaborative: 0, content: 1 } }, call)
        ).items.some((i) => i.productId === sku),
      trending: async () => (await recommendation.getTrending({ category, limit: 10 }, call)).items.some((i) => i.productId === sku),
    };
    const untilAll = async (phase: "created" | "archived", reads: readonly CatalogRead[], since: number, present: boolean): Promise<void> => {
      await Promise.all(
        reads.map(async (read) => {
          const ms = await until(async () => ((await probes[read]()) === present ? Date.now() - since : undefined), options.timeoutMs, options.pollMs).catch(() => undefined);
          if (ms === undefined) timeouts[`${phase} ${read}`] = (timeouts[`${phase} ${read}`] ?? 0) + 1;
          else (phase === "created" ? created : archived)[read].push(ms);
        }),
      );
    };

    let since = Date.now();
    await product.createProduct(
      {
        product: {
          productId: sku,
          title: `${seed.title.replace(/\s*\(\d{4}\)\s*$/, "")} Collector's Edition`,
          categories: [...seed.categories, category],
          tags: seed.tags,
          description: `A collector's edition, catalogue word ${word}.`,
          price: { currencyCode: "EUR", units: 19n, nanos: 990_000_000 },
        },
      },
      call,
    );
    since = Date.now();
    await untilAll("created", ["GetProduct", "search", "similar", "content recs"], since, true);
    const clickers = [...fans.values()].slice(0, 5);
    await engagement.recordEvents(
      { events: clickers.map((userId, i) => ({ eventId: `cf-${options.runId}-click-${cycle}-${i}`, userId, productId: sku, type: EventType.CLICK })) },
      call,
    );
    await untilAll("created", ["trending"], Date.now(), true);

    await product.deleteProduct({ productId: sku }, call);
    await untilAll("archived", CATALOG_READS, Date.now(), false);
  }
  return { created, archived, timeouts };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, pollMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
