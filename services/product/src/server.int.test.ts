import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { AccessControl, serviceTokenInterceptor } from "../../shared/src/access-control.js";
import { createServiceClient } from "../../shared/src/clients.js";
import type { GrpcServer } from "../../shared/src/grpc-server.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/infra.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { ProductRepository } from "./data/product-repository.js";
import { PRODUCT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { build } from "./server.js";

const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN });

describe("ProductService over gRPC (real server, port 0)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let server: GrpcServer;
  let address: string;

  beforeAll(async () => {
    db = await createTestDatabase("product_srv", PRODUCT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const repository = new ProductRepository(pool);
    await repository.upsert([
      { productId: "6", title: "Heat (1995)", year: 1995, categories: ["Action", "Crime", "Thriller"], tags: [], description: "", imdbId: "tt0113277", tmdbId: "949" },
      { productId: "2", title: "Jumanji (1995)", year: 1995, categories: ["Adventure"], tags: [], description: "", imdbId: "", tmdbId: "" },
    ]);
    server = build({ repository, access, logger: pino({ level: "silent" }) });
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  });
  afterAll(async () => {
    await server?.shutdown(1_000);
    await pool?.end();
    await db?.drop();
  });

  it("serves GetProduct, ListProducts, BatchGetProducts and ListCategories", async () => {
    const client = createServiceClient(ProductService, address);
    expect((await client.getProduct({ productId: "6" })).product?.imdbId).toBe("tt0113277");
    const list = await client.listProducts({ query: "heat" });
    expect(list.products.map((p) => p.title)).toEqual(["Heat (1995)"]);
    const internal = createServiceClient(ProductService, address, { interceptors: [serviceTokenInterceptor(TEST_SERVICE_TOKEN)] });
    const batch = await internal.batchGetProducts({ productIds: ["6", "2"] });
    expect(batch.products.map((p) => p.productId)).toEqual(["6", "2"]);
    const categories = await client.listCategories({});
    expect(categories.categories.map((c) => c.name)).toEqual(["Action", "Adventure", "Crime", "Thriller"]);
  });

  it("keeps BatchGetProducts, an internal RPC, for callers with the service token", async () => {
    const anonymous = await createServiceClient(ProductService, address)
      .batchGetProducts({ productIds: ["6"] })
      .catch((e: unknown) => ConnectError.from(e));
    expect((anonymous as ConnectError).code).toBe(Code.Unauthenticated);
    const wrong = await createServiceClient(ProductService, address, { interceptors: [serviceTokenInterceptor("x".repeat(40))] })
      .batchGetProducts({ productIds: ["6"] })
      .catch((e: unknown) => ConnectError.from(e));
    expect((wrong as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("carries NOT_FOUND and INVALID_ARGUMENT over the wire", async () => {
    const client = createServiceClient(ProductService, address);
    const missing = await client.getProduct({ productId: "404" }).catch((e: unknown) => ConnectError.from(e));
    expect((missing as ConnectError).code).toBe(Code.NotFound);
    const bad = await client.listProducts({ pageToken: "not-ours" }).catch((e: unknown) => ConnectError.from(e));
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    expect((bad as ConnectError).rawMessage).toMatch(/^page_token: /);
  });

  it("answers UNAVAILABLE naming the catalog database when PostgreSQL is unreachable", async () => {
    const deadPool = new pg.Pool({ connectionString: "postgres://recsys:recsys@127.0.0.1:1/none", connectionTimeoutMillis: 1_000 });
    const dead = build({ repository: new ProductRepository(deadPool), access, logger: pino({ level: "silent" }) });
    const port = await dead.listen("127.0.0.1", 0);
    try {
      const client = createServiceClient(ProductService, `127.0.0.1:${port}`);
      const err = await client.getProduct({ productId: "6" }).catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.Unavailable);
      expect((err as ConnectError).rawMessage).toMatch(/catalog database/);
    } finally {
      await dead.shutdown(1_000);
      await deadPool.end();
    }
  });
});
