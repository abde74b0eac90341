import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ProductSchema, ProductService } from "../../../../gen/recsys/product/v1/product_service_pb.js";
import { UserSchema, UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { createGrpcServer, registration, type GrpcServer } from "../../../shared/src/grpc-server.js";
import { createLogger } from "../../../shared/src/logger.js";

/**
 * Real in-process gRPC servers standing in for the product and user services in the engagement
 * tests: minimal `GetProduct`, `BatchGetProducts` and `GetUser` implementations backed by Maps, served by the project's
 * grpc-js server on an ephemeral port, so the engagement service's gRPC clients are exercised for
 * real (network, codes, deadlines).
 */
export interface FakeDirectoryServers {
  /** `host:port` of the ProductService. */
  readonly productAddress: string;
  /** `host:port` of the UserService. */
  readonly userAddress: string;
  /** Products by id: their categories. */
  readonly products: Map<string, string[]>;
  /** Existing user ids. */
  readonly users: Set<string>;
  /** Calls received, per method (`getProduct`, `batchGetProducts`, `getUser`). */
  readonly calls: { getProduct: number; batchGetProducts: number; getUser: number };
  /** Shuts both servers down. */
  close(): Promise<void>;
}

/**
 * Starts the fake ProductService and UserService on 127.0.0.1, port 0 each.
 *
 * @param products - initial products and their categories.
 * @param users - initial user ids.
 */
export async function startFakeDirectoryServers(
  products: Record<string, string[]>,
  users: readonly string[],
): Promise<FakeDirectoryServers> {
  const logger = createLogger("fake-directory");
  logger.level = "silent";
  const productMap = new Map(Object.entries(products));
  const userSet = new Set(users);
  const calls = { getProduct: 0, batchGetProducts: 0, getUser: 0 };
  const productServer: GrpcServer = createGrpcServer({
    logger,
    services: [
      registration(ProductService, {
        getProduct(req) {
          calls.getProduct += 1;
          const categories = productMap.get(req.productId);
          if (!categories) throw new ConnectError(`product ${JSON.stringify(req.productId)} not found`, Code.NotFound);
          return { product: create(ProductSchema, { productId: req.productId, title: `P${req.productId}`, categories }) };
        },
        batchGetProducts(req) {
          calls.batchGetProducts += 1;
          const products = req.productIds.flatMap((productId) => {
            const categories = productMap.get(productId);
            return categories ? [create(ProductSchema, { productId, title: `P${productId}`, categories })] : [];
          });
          return { products };
        },
      }),
    ],
  });
  const userServer: GrpcServer = createGrpcServer({
    logger,
    services: [
      registration(UserService, {
        getUser(req) {
          calls.getUser += 1;
          if (!userSet.has(req.userId)) throw new ConnectError(`user ${JSON.stringify(req.userId)} not found`, Code.NotFound);
          return { user: create(UserSchema, { userId: req.userId, username: `u${req.userId}` }) };
        },
      }),
    ],
  });
  const productPort = await productServer.listen("127.0.0.1", 0);
  const userPort = await userServer.listen("127.0.0.1", 0);
  return {
    productAddress: `127.0.0.1:${productPort}`,
    userAddress: `127.0.0.1:${userPort}`,
    products: productMap,
    users: userSet,
    calls,
    async close() {
      await Promise.all([productServer.shutdown(500), userServer.shutdown(500)]);
    },
  };
}
