import { randomBytes } from "node:crypto";

/** Source of random bytes: returns `size` fresh bytes (node:crypto's `randomBytes` by default). */
export type RandomBytesSource = (size: number) => Uint8Array;

/** Length of a Kafka Uuid in bytes (two 64-bit longs). */
const UUID_BYTES = 16;

/**
 * Tells whether 16 bytes are one of the Uuids Kafka reserves and never hands out as random:
 * `Uuid.ZERO_UUID` (all zero) and `Uuid.METADATA_TOPIC_ID` (most significant long 0, least
 * significant long 1), the `Uuid.RESERVED` set of org.apache.kafka.common.Uuid.
 */
function isReserved(bytes: Uint8Array): boolean {
  for (let i = 0; i < UUID_BYTES - 1; i += 1) if (bytes[i] !== 0) return false;
  return bytes[UUID_BYTES - 1] === 0 || bytes[UUID_BYTES - 1] === 1;
}

/**
 * A random Kafka cluster id, drawn the way Kafka's own `Uuid.randomUuid()` draws one
 * (org.apache.kafka.common.Uuid, clients module): 16 random bytes written as URL-safe base64 without
 * padding (22 characters, `Uuid.toString()`), drawn again while the text starts with "-" (which
 * `kafka-storage format -t <id>` and other command lines would read as an option; one draw in 64) or
 * the bytes are a reserved id (all zero, or the metadata topic id 0…01).
 *
 * @param random - the source of random bytes; tests pass a scripted one.
 * @returns the id, 22 characters of `[A-Za-z0-9_-]`, never starting with "-".
 * @throws RangeError when `random` returns other than 16 bytes.
 */
export function randomKafkaClusterId(random: RandomBytesSource = randomBytes): string {
  for (;;) {
    const bytes = random(UUID_BYTES);
    if (bytes.length !== UUID_BYTES) throw new RangeError(`expected ${UUID_BYTES} random bytes, got ${bytes.length}`);
    const id = Buffer.from(bytes).toString("base64url");
    if (!id.startsWith("-") && !isReserved(bytes)) return id;
  }
}
