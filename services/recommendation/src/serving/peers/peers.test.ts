import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventSchema, EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { toConnectError } from "../../../../shared/src/errors.js";
import { GrpcHistorySource } from "./grpc-history-source.js";

describe("GrpcHistorySource", () => {
  it("reads GetUserHistory newest first as domain events, skipping unknown types", async () => {
    const seen: { userId: string; maxEvents: number }[] = [];
    const transport = createRouterTransport((router) => {
      router.service(EngagementService, {
        getUserHistory(req) {
          seen.push({ userId: req.userId, maxEvents: req.maxEvents });
          return {
            events: [
              create(EventSchema, { userId: req.userId, productId: "2", type: EventType.LIKE }),
              create(EventSchema, { userId: req.userId, productId: "9", type: EventType.UNSPECIFIED }),
              create(EventSchema, { userId: req.userId, productId: "1", type: EventType.RATE, value: 4.5 }),
            ],
          };
        },
      });
    });
    const source = new GrpcHistorySource(createClient(EngagementService, transport));
    expect(await source.recentEvents("u1", 300)).toEqual([
      { productId: "2", kind: "like", value: 0 },
      { productId: "1", kind: "rate", value: 4.5 },
    ]);
    expect(seen).toEqual([{ userId: "u1", maxEvents: 300 }]);
  });

  it("turns an outage into UNAVAILABLE naming the engagement service", async () => {
    const transport = createRouterTransport((router) => {
      router.service(EngagementService, {
        getUserHistory() {
          throw new ConnectError("deadline", Code.DeadlineExceeded);
        },
      });
    });
    const source = new GrpcHistorySource(createClient(EngagementService, transport));
    const err = await source.recentEvents("u1", 10).catch((e: unknown) => e);
    // What the caller of the RPC sees (the server maps every error with toConnectError).
    expect(toConnectError(err)).toMatchObject({ code: Code.Unavailable, rawMessage: "engagement service is unavailable, retry later" });
  });
});
