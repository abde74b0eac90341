import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductChangeSchema } from "../../../../gen/recsys/product/v1/product_change_pb.js";
import { eventually } from "../../../../test/support/eventually.js";
import { testInfra } from "../../../../test/support/infra.js";
import type { CatalogChange } from "../models/catalog.js";
import { CatalogChangeConsumer } from "./catalog-change-consumer.js";

const logger = pino({ level: "silent" });

describe("CatalogChangeConsumer (real Kafka)", () => {
  const infra = testInfra();
  const kafka = new Kafka({ clientId: "catalog-consumer-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const topic = `t-catalog-${randomBytes(4).toString("hex")}`;
  let producer: Producer;
  const consumers: CatalogChangeConsumer[] = [];

  async function send(productId: string, revision: number, archived = false): Promise<void> {
    const value = toBinary(ProductChangeSchema, create(ProductChangeSchema, { product: { productId, title: `title ${revision}`, categories: ["Drama"] }, archived, revision: BigInt(revision) }));
    await producer.send({ topic, messages: [{ key: productId, value: Buffer.from(value) }] });
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await producer?.disconnect();
  });

  it("delivers every change committed after markStart, none before, in order per product, each replica all of them; stop deletes its group", async () => {
    await send("before", 1);
    const received: CatalogChange[][] = [[], []];
    const replicas = received.map(
      (into) => new CatalogChangeConsumer({ kafka, topic, logger, sink: { apply: async (changes) => void into.push(...changes) } }),
    );
    consumers.push(...replicas);
    for (const r of replicas) await r.markStart();
    // Written after the mark but before following starts: the window a catalog load falls into.
    await send("sku-AB_12.3", 1);
    for (const r of replicas) await r.start();
    await send("sku-AB_12.3", 2);
    await send("p-2", 1);
    await send("sku-AB_12.3", 3, true);
    for (const into of received) {
      await eventually("all four changes", () => (into.length >= 4 ? true : undefined), 30_000, 20);
      expect(into.map((c) => c.product.productId)).not.toContain("before");
      const sku = into.filter((c) => c.product.productId === "sku-AB_12.3");
      expect(sku.map((c) => [c.revision, c.archived])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      expect(into.find((c) => c.product.productId === "p-2")?.product.title).toBe("title 1");
      expect(Math.abs(Date.now() - into[0]!.committedAtMs)).toBeLessThan(60_000);
    }
    expect(replicas[0]!.groupId).not.toBe(replicas[1]!.groupId);

    const admin = kafka.admin();
    await admin.connect();
    await replicas[0]!.stop();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    expect(groups.map((g) => g.groupId)).not.toContain(replicas[0]!.groupId);
  });

  it("markStartWithin fails with a clear message when the broker does not answer", async () => {
    const unreachable = new Kafka({ clientId: "catalog-consumer-test-down", brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const consumer = new CatalogChangeConsumer({ kafka: unreachable, topic, logger, sink: { apply: async () => undefined } });
    await expect(consumer.markStartWithin(500)).rejects.toThrow();
    expect(consumer.marked).toBe(false);
  });
});
