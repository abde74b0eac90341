import type { Client } from "@connectrpc/connect";
import type { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import type { Event } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import type { ProductService } from "../../../../../gen/recsys/product/v1/product_service_pb.js";
import { dependencyError } from "../../../../shared/src/peers/dependency-error.js";
import { engagementKind } from "../../../../shared/src/event-kinds.js";
import type { Engagement } from "../../../../shared/src/event-kinds.js";
import type { CatalogProduct } from "../../models/catalog.js";
import type { CatalogSource, InteractionSource } from "./sources.js";

/** Products per ListProducts page (the RPC's maximum). */
export const CATALOG_PAGE_SIZE = 100;

/** Events per ScanEvents page (the RPC's default). */
export const SCAN_PAGE_SIZE = 5_000;

/** {@link CatalogSource} over ProductService.ListProducts (no filters, pages of 100, by id). */
export class GrpcCatalogSource implements CatalogSource {
  /** @param client - a ProductService client (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof ProductService>) {}

  /** @throws UnavailableError "product service is unavailable, retry later" on an outage (see `dependencyError`). */
  async *pages(): AsyncIterable<readonly CatalogProduct[]> {
    let pageToken = "";
    do {
      let res;
      try {
        res = await this.client.listProducts({ pageSize: CATALOG_PAGE_SIZE, pageToken });
      } catch (err) {
        throw dependencyError("product service", err);
      }
      yield res.products.map((p) => ({
        productId: p.productId,
        title: p.title,
        categories: p.categories,
        tags: p.tags,
        description: p.description,
      }));
      // An empty page ends the scan even with a token, so a misbehaving peer cannot loop us forever.
      pageToken = res.products.length > 0 ? res.nextPageToken : "";
    } while (pageToken !== "");
  }
}

/** {@link InteractionSource} over EngagementService.ScanEvents (acceptance order, pages of 5000). */
export class GrpcInteractionSource implements InteractionSource {
  /** @param client - an EngagementService client (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof EngagementService>) {}

  /**
   * Events of unknown type are skipped.
   *
   * @throws UnavailableError "engagement service is unavailable, retry later" on an outage (see `dependencyError`).
   */
  async *pages(): AsyncIterable<readonly Engagement[]> {
    for await (const events of scanEventPages(this.client)) {
      const page: Engagement[] = [];
      for (const e of events) {
        const kind = engagementKind(e.type);
        if (kind) page.push({ userId: e.userId, productId: e.productId, kind, value: e.value });
      }
      yield page;
    }
  }

}

/**
 * Pages through every event with EngagementService.ScanEvents (acceptance order, pages of
 * {@link SCAN_PAGE_SIZE}). An empty page ends the scan even with a token, so a misbehaving peer
 * cannot loop the caller forever.
 *
 * @param client - an EngagementService client.
 * @throws UnavailableError "engagement service is unavailable, retry later" on an outage (see `dependencyError`).
 */
export async function* scanEventPages(client: Client<typeof EngagementService>): AsyncIterable<readonly Event[]> {
  let pageToken = "";
  do {
    let res;
    try {
      res = await client.scanEvents({ pageSize: SCAN_PAGE_SIZE, pageToken });
    } catch (err) {
      throw dependencyError("engagement service", err);
    }
    yield res.events;
    pageToken = res.events.length > 0 ? res.nextPageToken : "";
  } while (pageToken !== "");
}
