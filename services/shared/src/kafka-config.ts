import { z } from "zod";
import { addressSchema } from "./config.js";

/**
 * The Kafka variables every process of the mesh that talks to Kafka reads, as a zod shape to spread
 * into a service's configuration schema (`z.object({ ...kafkaConfigShape, … })` or
 * `schema.extend({ ...kafkaConfigShape, … })`):
 * - `KAFKA_BROKERS` (127.0.0.1:9092): comma-separated `host:port` bootstrap brokers, blanks around
 *   commas and empty entries ignored; parsed into an array of at least one address.
 * - `KAFKA_TOPIC` (engagement-events): the engagement events topic; 1 to 249 characters of
 *   `[A-Za-z0-9._-]` (Kafka's topic name rule, `org.apache.kafka.common.internals.Topic`).
 */
export const kafkaConfigShape = {
  KAFKA_BROKERS: z
    .string()
    .default("127.0.0.1:9092")
    .transform((s) => s.split(",").map((b) => b.trim()).filter((b) => b.length > 0))
    .pipe(z.array(addressSchema).min(1, "needs at least one host:port"))
    .describe("Kafka bootstrap brokers, comma-separated `host:port` (blanks around commas and empty entries ignored)."),
  KAFKA_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name").default("engagement-events").describe("The engagement events topic (Kafka's topic name rule: 1 to 249 of letters, digits, `.`, `_`, `-`)."),
};
