/**
 * The catalog-changes topic contract between ProductService (the producer, through its outbox) and
 * the recommendation replicas (each follows it, stream/catalog-change-consumer.ts): one
 * `recsys.product.v1.ProductChange` per committed write of a product, keyed by product id.
 */

/** Default name of the topic (`KAFKA_CATALOG_TOPIC`). */
export const DEFAULT_CATALOG_TOPIC = "catalog-changes";

/** Kafka header carrying the product id of a ProductChange message. */
export const PRODUCT_ID_HEADER = "product-id";
