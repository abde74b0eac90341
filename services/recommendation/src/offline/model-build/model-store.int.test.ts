import { UnavailableError } from "../../../../shared/src/domain-errors.js";
import { toConnectError } from "../../../../shared/src/errors.js";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventSchema, EventType, type Event } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { ProductSchema, ProductService, type Product } from "../../../../../gen/recsys/product/v1/product_service_pb.js";
import { createTestDatabase, type TestDatabase } from "../../../../../test/support/infra.js";
import { SnapshotRepository } from "../../storage/snapshot-repository.js";
import { RECOMMENDATION_MIGRATIONS_DIR } from "../../storage/migrations-dir.js";
import { silentLogger } from "../../serving/testing/fakes.js";
import { GrpcCatalogSource, GrpcInteractionSource } from "./grpc-sources.js";
import { arrayCatalogSource, arrayInteractionSource, readMovieLensCatalog, readMovieLensRatings } from "./movielens-files.js";
import { buildAndStoreModels, loadOrBuildModels } from "./model-store.js";

const MOVIELENS_DIR = process.env.MOVIELENS_DIR ?? "/work/shared/data/ml-latest-small";

/** 250 products: titles in three families so neighbours exist; ids "1".."250". */
const PRODUCTS: Product[] = Array.from({ length: 250 }, (_, i) =>
  create(ProductSchema, {
    productId: String(i + 1),
    title: `${["Alpha", "Beta", "Gamma"][i % 3]} Saga ${i + 1} (1999)`,
    year: 1999,
    categories: i % 2 ? ["Drama"] : ["Comedy", "Drama"],
    tags: i % 3 === 0 ? ["space opera"] : [],
  }),
);

/** 12,000 events: ratings of product (k % 250) + 1, plus one like, one dislike and clicks. */
const EVENTS: Event[] = Array.from({ length: 12_000 }, (_, k) =>
  create(EventSchema, {
    eventId: `e${k}`,
    userId: `u${k % 97}`,
    productId: String((k % 250) + 1),
    type: k % 10 === 9 ? EventType.CLICK : EventType.RATE,
    value: k % 10 === 9 ? 0 : 0.5 + (k % 10) / 2,
    occurTime: timestampFromDate(new Date(1_700_000_000_000 + k)),
  }),
);

/** Fake ProductService.ListProducts and EngagementService.ScanEvents paging over the arrays. */
function fakeClients() {
  const calls = { listProducts: [] as number[], scanEvents: [] as number[] };
  const transport = createRouterTransport((router) => {
    router.service(ProductService, {
      listProducts(req) {
        calls.listProducts.push(req.pageSize);
        const start = req.pageToken === "" ? 0 : Number(req.pageToken);
        const end = start + req.pageSize;
        return { products: PRODUCTS.slice(start, end), nextPageToken: end < PRODUCTS.length ? String(end) : "", totalSize: PRODUCTS.length };
      },
    });
    router.service(EngagementService, {
      scanEvents(req) {
        calls.scanEvents.push(req.pageSize);
        const start = req.pageToken === "" ? 0 : Number(req.pageToken);
        const end = start + req.pageSize;
        return { events: EVENTS.slice(start, end), nextPageToken: end < EVENTS.length ? String(end) : "" };
      },
    });
  });
  return {
    calls,
    catalogSource: new GrpcCatalogSource(createClient(ProductService, transport)),
    interactionSource: new GrpcInteractionSource(createClient(EngagementService, transport)),
  };
}

describe("gRPC model sources", () => {
  it("page through ListProducts (100 per page) and ScanEvents (5000 per page)", async () => {
    const { calls, catalogSource, interactionSource } = fakeClients();
    const products = [];
    for await (const page of catalogSource.pages()) products.push(...page);
    expect(products).toHaveLength(250);
    expect(products[0]).toEqual({ productId: "1", title: "Alpha Saga 1 (1999)", categories: ["Comedy", "Drama"], tags: ["space opera"], description: "" });
    expect(calls.listProducts).toEqual([100, 100, 100]);
    let events = 0;
    for await (const page of interactionSource.pages()) events += page.length;
    expect(events).toBe(12_000);
    expect(calls.scanEvents).toEqual([5000, 5000, 5000]);
  });

  it("report an unreachable service as UNAVAILABLE naming it", async () => {
    const transport = createRouterTransport((router) => {
      router.service(ProductService, {
        listProducts() {
          throw new ConnectError("connection refused", Code.Unavailable);
        },
      });
    });
    const source = new GrpcCatalogSource(createClient(ProductService, transport));
    const err = await (async () => {
      for await (const _ of source.pages()) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(toConnectError(err).code).toBe(Code.Unavailable);
    expect(toConnectError(err).rawMessage).toBe("product service is unavailable, retry later");
  });
});

describe("model store (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repository: SnapshotRepository;

  beforeAll(async () => {
    db = await createTestDatabase("recommendation_store", RECOMMENDATION_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    repository = new SnapshotRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("builds and stores a snapshot when none exists, then loads it without scanning events", async () => {
    const first = fakeClients();
    const built = await loadOrBuildModels({ ...first, repository, logger: silentLogger(), options: { neighborCount: 10 } });
    expect(first.calls.scanEvents.length).toBeGreaterThan(0);
    expect(built.build).toMatchObject({ productCount: 250, eventCount: 12_000 });
    expect(built.catalog.size).toBe(250);
    expect(built.neighbors("1")).toHaveLength(10);
    // 10,800 ratings over 250 products, clicks ignored.
    expect(built.popular().reduce((n, p) => n + p.ratingCount, 0)).toBe(10_800);

    const second = fakeClients();
    const loaded = await loadOrBuildModels({ ...second, repository, logger: silentLogger() });
    expect(second.calls.scanEvents).toEqual([]);
    expect(second.calls.listProducts.length).toBe(3);
    expect(loaded.build!.id).toBe(built.build!.id);
    expect(loaded.neighbors("1")).toEqual(built.neighbors("1"));
    expect(loaded.popular()).toEqual(built.popular());
    expect(loaded.content.similarity("1", "4")).toBeCloseTo(built.content.similarity("1", "4"), 12);
    expect(loaded.itemNeighbors("1")).toEqual(built.itemNeighbors("1"));
    expect(built.itemNeighbors("1")!.length).toBeGreaterThan(0);

    // A snapshot stored before the item-KNN neighbours existed is rebuilt at start.
    await pool.query("DELETE FROM item_neighbors");
    const older = fakeClients();
    const upgraded = await loadOrBuildModels({ ...older, repository, logger: silentLogger() });
    expect(older.calls.scanEvents.length).toBeGreaterThan(0);
    expect(upgraded.itemNeighbors("1")).toEqual(built.itemNeighbors("1"));

    const third = fakeClients();
    const rebuilt = await loadOrBuildModels({ ...third, repository, logger: silentLogger() }, true);
    expect(third.calls.scanEvents.length).toBeGreaterThan(0);
    expect(rebuilt.build!.id).toBeGreaterThan(upgraded.build!.id);
  });

  it("stores and reloads the MovieLens models", async () => {
    const products = await readMovieLensCatalog(MOVIELENS_DIR);
    const ratings = await readMovieLensRatings(MOVIELENS_DIR);
    const stored = await buildAndStoreModels({
      catalogSource: arrayCatalogSource(products),
      interactionSource: arrayInteractionSource(ratings),
      repository,
      logger: silentLogger(),
    });
    expect(stored.build).toMatchObject({ productCount: 9742, eventCount: 100_836 });
    const loaded = await repository.loadLatest();
    expect(loaded!.neighbors.get("1")).toEqual(stored.models.neighbors("1"));
    expect(loaded!.popularity.length).toBe(9724);
    expect(loaded!.popularity[0]!.productId).toBe(stored.models.popular()[0]!.productId);
    const toyStory2 = products.find((p) => p.title === "Toy Story 2 (1999)")!.productId;
    expect(loaded!.neighbors.get("1")!.slice(0, 10).map((n) => n.productId)).toContain(toyStory2);
  });
});
