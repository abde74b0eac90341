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
  /** The signals of handled calls, by product id, to check when they were aborted. */
  const signals = new Map<string, AbortSignal>();

  beforeAll(async () => {
    const logger = createLogger("test");
    logger.level = "silent";
    server = createGrpcServer({
      logger,
      services: [
        registration(ProductService, {
          async getProduct(req, context) {
            seenRequestIds.push(currentRequest()?.requestId ?? "");
            signals.set(req.productId, context.signal);
            if (req.productId === "wait") {
              // Answers only once the client has gone: the signal is aborted by the cancellation.
              await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
              throw ConnectError.from(context.signal.reason);
            }
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

  it("aborts a call's signal when the client cancels it, and not once it was answered", async () => {
    const client = createServiceClient(ProductService, address);
    const caller = new AbortController();
    const pending = client.getProduct({ productId: "wait" }, { signal: caller.signal }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    await expect.poll(() => signals.has("wait")).toBe(true);
    caller.abort();
    expect((await pending)?.code).toBe(Code.Canceled);
    const waiting = signals.get("wait")!;
    await expect.poll(() => waiting.aborted).toBe(true);
    expect(ConnectError.from(waiting.reason).code).toBe(Code.Canceled);

    await client.getProduct({ productId: "answered" });
    // grpc-js reports every stream close as "cancelled"; by then this call was answered.
    await new Promise((r) => setTimeout(r, 50));
    expect(signals.get("answered")!.aborted).toBe(false);
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
