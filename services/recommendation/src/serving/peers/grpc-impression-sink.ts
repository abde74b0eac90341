import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ImpressionSchema, ListType } from "../../../../../gen/recsys/engagement/v1/impression_pb.js";
import { ImpressionSinkError, type ImpressionRecord, type ImpressionSink, type ListKind } from "../impressions/impression-buffer.js";

const LIST_TYPES: Record<ListKind, ListType> = {
  for_you: ListType.FOR_YOU,
  similar: ListType.SIMILAR,
  trending: ListType.TRENDING,
};

/** Codes after which the same batch cannot succeed: it is dropped rather than retried. */
const FINAL_CODES = new Set([Code.InvalidArgument, Code.PermissionDenied, Code.Unauthenticated, Code.Unimplemented]);

/**
 * {@link ImpressionSink} over the internal EngagementService.RecordImpressions (service token,
 * idempotent by recommendation id). The client's deadline bounds each write.
 */
export class GrpcImpressionSink implements ImpressionSink {
  /** @param client - an EngagementService client carrying the service token (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof EngagementService>) {}

  /**
   * @param batch - the impressions, 1 to 1000.
   * @throws ImpressionSinkError, retryable unless the engagement service refused the batch
   *   (INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED).
   */
  async write(batch: readonly ImpressionRecord[]): Promise<void> {
    try {
      await this.client.recordImpressions({
        impressions: batch.map((i) =>
          create(ImpressionSchema, {
            recommendationId: i.recommendationId,
            listType: LIST_TYPES[i.listKind],
            userId: i.userId ?? "",
            productIds: [...i.productIds],
            shownTime: timestampFromMs(i.shownAtMs),
          }),
        ),
      });
    } catch (err) {
      const ce = ConnectError.from(err);
      throw new ImpressionSinkError(`engagement service RecordImpressions: ${Code[ce.code]}: ${ce.rawMessage}`, !FINAL_CODES.has(ce.code));
    }
  }
}
