import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductSchema, ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { createGrpcServer, registration, type GrpcServer } from "./grpc-server.js";
import { createLogger } from "./logger.js";

/** Sends raw bytes as the request message of a unary method, as a hostile or broken client could. */
function rawCall(address: string, path: string, bytes: Buffer): Promise<grpc.ServiceError | Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (err, value) => {
        client.close();
        resolve(err ?? (value as Buffer));
      },
    );
  });
}

describe("createGrpcServer with undecodable requests", () => {
  let server: GrpcServer;
  let address: string;
  let calls = 0;

  beforeAll(async () => {
    const logger = createLogger("test");
    logger.level = "silent";
    server = createGrpcServer({
      logger,
      services: [
        registration(ProductService, {
          getProduct(req) {
            calls += 1;
            return { product: create(ProductSchema, { productId: req.productId }) };
          },
        }),
      ],
    });
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  });
  afterAll(() => server.shutdown(1_000));

  it("answers INVALID_ARGUMENT, not INTERNAL, and never calls the handler", async () => {
    const path = "/recsys.product.v1.ProductService/GetProduct";
    for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x10, 0x41]), Buffer.from([0x0f])]) {
      const result = await rawCall(address, path, bytes);
      expect(result).toBeInstanceOf(Error);
      const err = result as grpc.ServiceError;
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.details).toBe("request: not a valid recsys.product.v1.GetProductRequest message");
    }
    expect(calls).toBe(0);
    // A well-formed request still works: field 1 (product_id) = "6".
    const ok = await rawCall(address, path, Buffer.from([0x0a, 0x01, 0x36]));
    expect(ok).toBeInstanceOf(Buffer);
    expect(calls).toBe(1);
  });
});
