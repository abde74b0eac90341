import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductChangeSchema } from "../../../gen/recsys/product/v1/product_change_pb.js";
import { ProductService, UpsertOutcome } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { failure } from "../../../test/support/failure.js";
import { createTestDatabase, testInfra, type TestDatabase } from "../../../test/support/infra.js";
import { TEST_JWT_SECRET, TEST_SERVICE_TOKEN } from "../../../test/support/secrets.js";
import { AccessControl } from "../../shared/src/access-control.js";
import { issueAccessToken } from "../../shared/src/access-token.js";
import { PRODUCT_ID_HEADER } from "../../shared/src/catalog-topic.js";
import { inMemoryTransport } from "../../shared/src/in-memory-transport.js";
import { ensureTopic } from "../../shared/src/outbox/ensure-topic.js";
import { KafkaOutboxPublisher } from "../../shared/src/outbox/kafka-outbox-publisher.js";
import { countOutboxRows } from "../../shared/src/outbox/outbox-repository.js";
import { OutboxRelay } from "../../shared/src/outbox/outbox-relay.js";
import { CatalogIndexRefresher } from "./data/catalog-index.js";
import { ProductRepository } from "./data/product-repository.js";
import { PRODUCT_MIGRATIONS_DIR } from "./migrations-dir.js";
import { productChangeMessage } from "./product-message.js";
import { productRegistration } from "./server.js";

const logger = pino({ level: "silent" });
const access = new AccessControl({ jwtSecret: TEST_JWT_SECRET, serviceToken: TEST_SERVICE_TOKEN });
const asService = { headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` } };

const LAMP = {
  productId: "sku-AB_12.3",
  title: "Quintessa desk lamp",
  description: "A brass lamp with a linen shade",
  categories: ["Lighting"],
  tags: ["brass", "desk"],
  price: { currencyCode: "EUR", units: 49n, nanos: 900_000_000 },
  imageUrl: "https://img.example.com/sku-AB_12.3.jpg",
  attributes: { brand: "Acme", color: "gold" },
};

describe("ProductService writes (real PostgreSQL and Kafka)", () => {
  const { kafkaBrokers } = testInfra();
  const kafka = new Kafka({ clientId: "product-writes-test", brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const topic = `t-catalog-${randomBytes(4).toString("hex")}`;
  let db: TestDatabase;
  let pool: pg.Pool;
  let client: Client<typeof ProductService>;
  let index: CatalogIndexRefresher;

  beforeAll(async () => {
    db = await createTestDatabase("product_writes", PRODUCT_MIGRATIONS_DIR);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const repository = new ProductRepository(pool, { announce: (p, archived) => productChangeMessage(topic, p, archived) });
    // A slow poll: reads after a write must see it through the write's own refresh.
    index = new CatalogIndexRefresher({ repository, pollIntervalMs: 60_000, logger });
    await index.start();
    client = createClient(ProductService, inMemoryTransport(productRegistration({ repository, access, catalogIndex: index })));
  });
  afterAll(async () => {
    index?.stop();
    await pool?.end();
    await db?.drop();
  });

  it("creates a product with a SKU id, serves it at once from the index, and refuses a second create", async () => {
    const created = await client.createProduct({ product: LAMP }, asService);
    expect(created.product).toMatchObject({ ...LAMP, price: { currencyCode: "EUR", units: 49n, nanos: 900_000_000 } });
    expect(created.product?.createTime).toBeDefined();
    expect((await client.getProduct({ productId: LAMP.productId })).product?.title).toBe(LAMP.title);
    const again = await failure(client.createProduct({ product: LAMP }, asService));
    expect(again.code).toBe(Code.AlreadyExists);
  });

  it("searches description and attribute values, and filters by tag, attribute and price", async () => {
    await client.batchUpsertProducts(
      {
        products: [
          { productId: "sku-cheap", title: "Plain mug", description: "stoneware", tags: ["Kitchen"], price: { currencyCode: "EUR", units: 5n }, attributes: { brand: "Zed" } },
          { productId: "sku-usd", title: "Plain cup", tags: ["kitchen"], price: { currencyCode: "USD", units: 7n } },
        ],
      },
      asService,
    );
    const ids = async (req: Parameters<typeof client.listProducts>[0]) => (await client.listProducts(req)).products.map((p) => p.productId).sort();
    expect(await ids({ query: "linen" })).toEqual([LAMP.productId]);
    expect(await ids({ query: "acme" })).toEqual([LAMP.productId]);
    expect(await ids({ tag: "KITCHEN" })).toEqual(["sku-cheap", "sku-usd"]);
    expect(await ids({ attribute: "brand=Zed" })).toEqual(["sku-cheap"]);
    expect(await ids({ minPrice: { currencyCode: "EUR", units: 10n } })).toEqual([LAMP.productId]);
    expect(await ids({ maxPrice: { currencyCode: "EUR", units: 49n, nanos: 899_999_999 } })).toEqual(["sku-cheap"]);
    const bad = await failure(client.listProducts({ attribute: "brand" }));
    expect(bad.rawMessage).toBe('attribute: must be written "key=value"');
  });

  it("updates the masked fields only (AIP-134), and names a bad path or field", async () => {
    const updated = await client.updateProduct(
      { productId: LAMP.productId, product: { title: "Quintessa lamp, brushed", description: "ignored" }, updateMask: { paths: ["title"] } },
      asService,
    );
    expect(updated.product).toMatchObject({ title: "Quintessa lamp, brushed", description: LAMP.description, tags: LAMP.tags });
    const implied = await client.updateProduct({ productId: LAMP.productId, product: { imageUrl: "https://img.example.com/2.jpg" } }, asService);
    expect(implied.product).toMatchObject({ imageUrl: "https://img.example.com/2.jpg", title: "Quintessa lamp, brushed" });
    const badPath = await failure(client.updateProduct({ productId: LAMP.productId, product: {}, updateMask: { paths: ["title", "revision"] } }, asService));
    expect(badPath.rawMessage).toMatch(/^update_mask\.paths\[1\]: names no updatable field/);
    const badField = await failure(
      client.updateProduct({ productId: LAMP.productId, product: { price: { currencyCode: "eur", units: 1n } }, updateMask: { paths: ["price"] } }, asService),
    );
    expect(badField.rawMessage).toMatch(/^product\.price\.currency_code: /);
    const missing = await failure(client.updateProduct({ productId: "sku-none", product: { title: "x" } }, asService));
    expect(missing.code).toBe(Code.NotFound);
  });

  it("accepts or rejects each product of a batch on its own, and a second identical batch changes nothing", async () => {
    const products = [
      { productId: "sku-b1", title: "One", price: { currencyCode: "EUR", units: 1n } },
      { productId: "sku-b2", title: "" },
      { productId: "sku-b3", title: "Three", price: { currencyCode: "EURO", units: 1n } },
      { productId: "sku-b1", title: "One again" },
      { productId: "bad id", title: "Four" },
      { productId: "sku-b5", title: "Five", imageUrl: "ftp://example.com/x.png", attributes: { "bad key": "v" } },
    ];
    const first = await client.batchUpsertProducts({ products }, asService);
    expect(first.results.map((r) => [r.productId, r.status?.code, r.status?.message, r.outcome])).toEqual([
      ["sku-b1", 0, "", UpsertOutcome.CREATED],
      ["sku-b2", Code.InvalidArgument, "products[1].title: is required", UpsertOutcome.UNSPECIFIED],
      ["sku-b3", Code.InvalidArgument, "products[2].price.currency_code: must be an ISO 4217 code of three upper-case letters, for example EUR", UpsertOutcome.UNSPECIFIED],
      ["sku-b1", Code.InvalidArgument, "products[3].product_id: repeats products[0].product_id", UpsertOutcome.UNSPECIFIED],
      ["bad id", Code.InvalidArgument, "products[4].product_id: may contain only letters, digits, '.', '_', ':' and '-'", UpsertOutcome.UNSPECIFIED],
      ["sku-b5", Code.InvalidArgument, "products[5].image_url: must be an absolute http or https URL", UpsertOutcome.UNSPECIFIED],
    ]);
    const outbox = await countOutboxRows(pool);
    const second = await client.batchUpsertProducts({ products: [products[0]!, { productId: "sku-b6", title: "Six" }] }, asService);
    expect(second.results.map((r) => r.outcome)).toEqual([UpsertOutcome.UNCHANGED, UpsertOutcome.CREATED]);
    expect(await countOutboxRows(pool)).toBe(outbox + 1);
    const changed = await client.batchUpsertProducts({ products: [{ ...products[0]!, title: "One, renamed" }] }, asService);
    expect(changed.results[0]?.outcome).toBe(UpsertOutcome.UPDATED);
    const none = await failure(client.batchUpsertProducts({ products: [] }, asService));
    expect(none.rawMessage).toBe("products: must hold 1 to 1000 products, got 0");
  });

  it("archives a product: gone from every read, a second delete is NOT_FOUND, a create restores it", async () => {
    await client.deleteProduct({ productId: "sku-b6" }, asService);
    expect((await failure(client.getProduct({ productId: "sku-b6" }))).code).toBe(Code.NotFound);
    expect((await client.listProducts({ query: "six" })).products).toEqual([]);
    expect((await client.listProducts({ pageSize: 100 })).products.map((p) => p.productId)).not.toContain("sku-b6");
    expect((await client.batchGetProducts({ productIds: ["sku-b6", "sku-b1"] }, asService)).products.map((p) => p.productId)).toEqual(["sku-b1"]);
    expect((await failure(client.deleteProduct({ productId: "sku-b6" }, asService))).code).toBe(Code.NotFound);
    const restored = await client.createProduct({ product: { productId: "sku-b6", title: "Six, back" } }, asService);
    expect(restored.product?.title).toBe("Six, back");
  });

  it("needs the service token for every write: UNAUTHENTICATED without one, PERMISSION_DENIED for a user's", async () => {
    const user = await issueAccessToken("42", TEST_JWT_SECRET, 600);
    for (const options of [{}, { headers: { authorization: `Bearer ${user.token}` } }]) {
      const code = Object.keys(options).length === 0 ? Code.Unauthenticated : Code.PermissionDenied;
      expect((await failure(client.createProduct({ product: { productId: "sku-x", title: "X" } }, options))).code).toBe(code);
      expect((await failure(client.updateProduct({ productId: LAMP.productId, product: { title: "X" } }, options))).code).toBe(code);
      expect((await failure(client.deleteProduct({ productId: LAMP.productId }, options))).code).toBe(code);
      expect((await failure(client.batchUpsertProducts({ products: [{ productId: "sku-x", title: "X" }] }, options))).code).toBe(code);
    }
  });

  it("the relay publishes one ProductChange per committed write to the catalog topic, keyed by product id, in revision order", async () => {
    await ensureTopic(kafka, topic, { partitions: 3 });
    const relay = new OutboxRelay({ pool, databaseUrl: db.url, publisher: new KafkaOutboxPublisher(kafka, { messageIdHeader: PRODUCT_ID_HEADER }), logger });
    const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 });
    const received: { key: string; header: string; archived: boolean; revision: number; title: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const change = fromBinary(ProductChangeSchema, message.value!);
        received.push({
          key: message.key!.toString(),
          header: message.headers?.[PRODUCT_ID_HEADER]?.toString() ?? "",
          archived: change.archived,
          revision: Number(change.revision),
          title: change.product?.title ?? "",
        });
      },
    });
    relay.start();
    try {
      const expected = Number(await countOutboxRows(pool));
      const deadline = Date.now() + 30_000;
      while (received.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(expected);
      expect(await countOutboxRows(pool)).toBe(0);
      const b6 = received.filter((m) => m.key === "sku-b6");
      expect(b6.map((m) => [m.revision, m.archived, m.title])).toEqual([
        [1, false, "Six"],
        [2, true, "Six"],
        [3, false, "Six, back"],
      ]);
      expect(received.every((m) => m.header === m.key)).toBe(true);
      const lamp = received.filter((m) => m.key === LAMP.productId).map((m) => m.revision);
      expect(lamp).toEqual([1, 2, 3]);
    } finally {
      await relay.stop();
      await consumer.disconnect();
    }
  });
});
