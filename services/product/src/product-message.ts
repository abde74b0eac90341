import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ProductChangeSchema } from "../../../gen/recsys/product/v1/product_change_pb.js";
import { ProductSchema, type Product } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { PRODUCT_ID_HEADER } from "../../shared/src/catalog-topic.js";
import type { OutboxMessage } from "../../shared/src/outbox/outbox-repository.js";
import { traceContextHeaders } from "../../shared/src/trace-context.js";
import type { ProductRecord } from "./data/product-repository.js";

/**
 * Maps a stored product to its protobuf message (price as google.type.Money, times as Timestamps).
 *
 * @param record - the stored product.
 */
export function toProduct(record: ProductRecord): Product {
  return create(ProductSchema, {
    productId: record.productId,
    title: record.title,
    year: record.year,
    categories: [...record.categories],
    tags: [...record.tags],
    description: record.description,
    imdbId: record.imdbId,
    tmdbId: record.tmdbId,
    ...(record.price ? { price: { currencyCode: record.price.currencyCode, units: record.price.units, nanos: record.price.nanos } } : {}),
    imageUrl: record.imageUrl ?? "",
    attributes: { ...(record.attributes ?? {}) },
    ...(record.createTime ? { createTime: timestampFromDate(record.createTime) } : {}),
    ...(record.updateTime ? { updateTime: timestampFromDate(record.updateTime) } : {}),
  });
}

/**
 * Builds the outbox message announcing one committed product write on the catalog-changes topic:
 * key = product id (the changes of one product stay in order on one partition), value = binary
 * `recsys.product.v1.ProductChange { product, archived, revision }`, headers `product-id` and, when
 * tracing is on, the write's `traceparent`/`tracestate` (services/shared/src/trace-context.ts).
 *
 * @param topic - the Kafka topic, normally `catalog-changes` (`KAFKA_CATALOG_TOPIC`).
 * @param product - the product as stored after the write.
 * @param archived - whether the write archived it.
 */
export function productChangeMessage(topic: string, product: ProductRecord, archived: boolean): OutboxMessage {
  const payload = toBinary(
    ProductChangeSchema,
    create(ProductChangeSchema, { product: toProduct(product), archived, revision: BigInt(product.revision ?? 1) }),
  );
  return { topic, key: product.productId, payload, headers: { [PRODUCT_ID_HEADER]: product.productId, ...traceContextHeaders() } };
}
