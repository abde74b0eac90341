import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { NotFoundError } from "./domain-errors.js";
import { registration } from "./grpc-server.js";
import { inMemoryTransport } from "./in-memory-transport.js";

describe("inMemoryTransport", () => {
  it("answers handler errors with the gRPC server's mapping", async () => {
    const client = createClient(
      ProductService,
      inMemoryTransport(
        registration(
          ProductService,
          {
            getProduct: (req) => {
              throw new NotFoundError("product", req.productId);
            },
            listCategories: () => {
              throw Object.assign(new Error("Connection terminated unexpectedly"), {});
            },
          },
          "catalog database",
        ),
      ),
    );
    const notFound = await client.getProduct({ productId: "42" }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(notFound?.code).toBe(Code.NotFound);
    expect(notFound?.rawMessage).toBe('product "42" not found');
    const outage = await client.listCategories({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(outage?.code).toBe(Code.Unavailable);
    expect(outage?.rawMessage).toBe("catalog database is unavailable, retry later");
  });
});
