import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { type EngagementKind, engagementKind } from "../../../../shared/src/event-kinds.js";
import { scanEventPages } from "../model-build/grpc-sources.js";
import type { NcfInteraction } from "../../models/ncf/ncf-types.js";

/**
 * Where the NCF trainer reads interactions from: pages of every positive interaction, oldest
 * accepted first (in production EngagementService.ScanEvents, see
 * {@link GrpcNcfInteractionSource}). The same shape as the model build's `InteractionSource`
 * (services/recommendation/src/model/sources.ts), with the event time that NCF needs.
 */
export interface NcfInteractionSource {
  /**
   * Yields every interaction, one page at a time.
   *
   * @throws UnavailableError (or the source's own error) when events cannot be read.
   */
  pages(): AsyncIterable<readonly NcfInteraction[]>;
}

/**
 * Event kinds that count as implicit positives by default: every engagement but a dislike
 * (a rating of any value is an interaction, as in the NCF paper's treatment of MovieLens).
 */
export const DEFAULT_POSITIVE_KINDS: ReadonlySet<EngagementKind> = new Set<EngagementKind>(["click", "view", "like", "rate"]);

/**
 * {@link NcfInteractionSource} over EngagementService.ScanEvents (acceptance order, pages of
 * 5000): each event of a positive kind becomes an interaction at its `occur_time` (its
 * `accept_time` when unset); other kinds and unknown types are skipped.
 */
export class GrpcNcfInteractionSource implements NcfInteractionSource {
  /**
   * @param client - an EngagementService client (see `createServiceClient`).
   * @param positiveKinds - the kinds that are positives (default {@link DEFAULT_POSITIVE_KINDS}).
   */
  constructor(
    private readonly client: Client<typeof EngagementService>,
    private readonly positiveKinds: ReadonlySet<EngagementKind> = DEFAULT_POSITIVE_KINDS,
  ) {}

  /** @throws UnavailableError "engagement service is unavailable, retry later" on an outage. */
  async *pages(): AsyncIterable<readonly NcfInteraction[]> {
    for await (const events of scanEventPages(this.client)) {
      const page: NcfInteraction[] = [];
      for (const e of events) {
        const kind = engagementKind(e.type);
        if (!kind || !this.positiveKinds.has(kind)) continue;
        const time = e.occurTime ?? e.acceptTime;
        page.push({ userId: e.userId, productId: e.productId, timestampMs: time ? timestampMs(time) : 0 });
      }
      yield page;
    }
  }

}

/** Reads a whole interaction source into one array. */
export async function readNcfInteractions(source: NcfInteractionSource): Promise<NcfInteraction[]> {
  const all: NcfInteraction[] = [];
  for await (const page of source.pages()) for (const e of page) all.push(e);
  return all;
}
