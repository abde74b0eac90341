import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductSchema, ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { createServiceClient } from "./clients.js";
import { createGrpcServer, registration, type GrpcServer } from "./grpc-server.js";
import { createLogger } from "./logger.js";
import { currentRequest } from "./request-context.js";

describe("createGrpcServer", () => {
  let server: GrpcServer;
  let address: string;
  const seenRequestIds: string[] = [];

  beforeAll(async () => {
    const logger = createLogger("test");
    logger.level = "silent";
    server = createGrpcServer({
      logger,
      services: [
        registration(ProductService, {
          getProduct(req) {
            seenRequestIds.push(currentRequest()?.requestId ?? "");
            if (req.productId === "missing") throw new ConnectError('product "missing" not found', Code.NotFound);
            if (req.productId === "down") throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
            if (req.productId === "bug") throw new Error("secret detail");
            return { product: create(ProductSchema, { productId: req.productId, title: "Heat (1995)" }) };
          },
        }),
      ],
    });
    const port = await server.listen("127.0.0.1", 0);
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.shutdown(1_000));

  it("serves a unary RPC over gRPC", async () => {
    const client = createServiceClient(ProductService, address);
    const res = await client.getProduct({ productId: "6" });
    expect(res.product?.title).toBe("Heat (1995)");
  });

  it("keeps ConnectError codes and messages", async () => {
    const client = createServiceClient(ProductService, address);
    const err = await client.getProduct({ productId: "missing" }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect((err as ConnectError).rawMessage).toBe('product "missing" not found');
  });

  it("maps connection failures to UNAVAILABLE and hides internal errors", async () => {
    const client = createServiceClient(ProductService, address);
    const down = await client.getProduct({ productId: "down" }).catch((e: unknown) => ConnectError.from(e));
    expect((down as ConnectError).code).toBe(Code.Unavailable);
    const bug = await client.getProduct({ productId: "bug" }).catch((e: unknown) => ConnectError.from(e));
    expect((bug as ConnectError).code).toBe(Code.Internal);
    expect((bug as ConnectError).rawMessage).not.toContain("secret");
  });

  it("answers UNIMPLEMENTED for methods the implementation lacks", async () => {
    const client = createServiceClient(ProductService, address);
    const err = await client.listCategories({}).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unimplemented);
  });

  it("uses the caller's x-request-id", async () => {
    const client = createServiceClient(ProductService, address);
    await client.getProduct({ productId: "6" }, { headers: { "x-request-id": "req-123" } });
    expect(seenRequestIds).toContain("req-123");
  });

  it("fails with UNAVAILABLE, not a hang, when nothing listens", async () => {
    const client = createServiceClient(ProductService, "127.0.0.1:1", { timeoutMs: 2_000 });
    const err = await client.getProduct({ productId: "6" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
  });
});
