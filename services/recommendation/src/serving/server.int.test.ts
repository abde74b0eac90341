import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecommendationService } from "../../../../gen/recsys/recommendation/v1/recommendation_service_pb.js";
import { UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { createServiceClient } from "../../../shared/src/clients.js";
import type { GrpcServer } from "../../../shared/src/grpc-server.js";
import { GrpcUserDirectory } from "../../../shared/src/peers/user-directory.js";
import { build } from "./server.js";
import { defaultSettings, FakeTrendingSource, MapHistorySource, servingStateFor, product, SetUserDirectory, silentLogger } from "./testing/fakes.js";

const CATALOG = [
  product("1", "Toy Story (1995)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("2", "Toy Story 2 (1999)", ["Animation", "Children", "Comedy"], ["pixar"]),
  product("3", "Heat (1995)", ["Action", "Crime", "Thriller"]),
];

describe("RecommendationService gRPC server", () => {
  const servers: GrpcServer[] = [];
  let address: string;
  let downAddress: string;

  beforeAll(async () => {
    const history = new MapHistorySource();
    history.record("u1", { productId: "1", kind: "like", value: 0 });
    const deps = {
      state: servingStateFor(CATALOG),
      history,
      trending: new FakeTrendingSource().set("3", 2, ["Action"]),
      settings: defaultSettings(),
      logger: silentLogger(),
    };
    const server = build({ ...deps, users: new SetUserDirectory(new Set(["u1"])) });
    servers.push(server);
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
    // A second server whose user directory is a UserService that nothing serves.
    const down = build({ ...deps, users: new GrpcUserDirectory(createServiceClient(UserService, "127.0.0.1:1", { timeoutMs: 2_000 })) });
    servers.push(down);
    downAddress = `127.0.0.1:${await down.listen("127.0.0.1", 0)}`;
  });
  afterAll(async () => {
    for (const s of servers) await s.shutdown(1_000);
  });

  it("serves GetRecommendations, GetSimilarProducts and GetTrending over gRPC", async () => {
    const client = createServiceClient(RecommendationService, address);
    const recs = await client.getRecommendations({ userId: "u1", limit: 5 });
    expect(recs.strategy).toBe("personalized");
    expect(recs.items[0]).toMatchObject({ productId: "2", reason: "because you liked Toy Story (1995)" });
    const similar = await client.getSimilarProducts({ productId: "1" });
    expect(similar.items[0]!.productId).toBe("2");
    const trending = await client.getTrending({ limit: 1 });
    expect(trending.items).toEqual([expect.objectContaining({ productId: "3", title: "Heat (1995)", score: 2 })]);
  });

  it("keeps NOT_FOUND and INVALID_ARGUMENT codes and messages", async () => {
    const client = createServiceClient(RecommendationService, address);
    const notFound = await client.getRecommendations({ userId: "ghost" }).catch((e: unknown) => ConnectError.from(e));
    expect((notFound as ConnectError).code).toBe(Code.NotFound);
    const invalid = await client.getRecommendations({ userId: "u1", weights: { content: 2 } }).catch((e: unknown) => ConnectError.from(e));
    expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);
    expect((invalid as ConnectError).rawMessage).toBe("weights.content: must be between 0 and 1, got 2");
  });

  it("answers UNAVAILABLE naming the user service when it is down", async () => {
    const client = createServiceClient(RecommendationService, downAddress, { timeoutMs: 10_000 });
    const err = await client.getRecommendations({ userId: "u1" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect((err as ConnectError).rawMessage).toBe("user service is unavailable, retry later");
  });
});
