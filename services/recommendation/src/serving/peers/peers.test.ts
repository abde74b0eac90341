import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventSchema, EventType } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { UserSchema, UserService } from "../../../../../gen/recsys/user/v1/user_service_pb.js";
import { GrpcHistorySource } from "./grpc-history-source.js";
import { GrpcUserDirectory } from "./grpc-user-directory.js";

describe("GrpcUserDirectory", () => {
  const transport = createRouterTransport((router) => {
    router.service(UserService, {
      getUser(req) {
        if (req.userId === "down") throw new ConnectError("no route", Code.Unavailable);
        if (req.userId === "bug") throw new ConnectError("boom", Code.Internal);
        if (req.userId !== "7") throw new ConnectError(`user "${req.userId}" not found`, Code.NotFound);
        return { user: create(UserSchema, { userId: "7", username: "seven" }) };
      },
    });
  });
  const directory = new GrpcUserDirectory(createClient(UserService, transport));

  it("maps GetUser to exists: true, NOT_FOUND to false", async () => {
    expect(await directory.exists("7")).toBe(true);
    expect(await directory.exists("8")).toBe(false);
  });

  it("turns an outage into UNAVAILABLE naming the user service, other failures into INTERNAL", async () => {
    const down = await directory.exists("down").catch((e: unknown) => e as ConnectError);
    expect(down).toMatchObject({ code: Code.Unavailable, rawMessage: "user service is unavailable, retry later" });
    const bug = await directory.exists("bug").catch((e: unknown) => e as ConnectError);
    expect((bug as ConnectError).code).toBe(Code.Internal);
  });
});

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
    const err = await source.recentEvents("u1", 10).catch((e: unknown) => e as ConnectError);
    expect(err).toMatchObject({ code: Code.Unavailable, rawMessage: "engagement service is unavailable, retry later" });
  });
});
