import { describe, expect, it } from "vitest";
import { randomKafkaClusterId } from "./kafka-cluster-id.js";

describe("randomKafkaClusterId", () => {
  it("never starts with '-' and always decodes to 16 bytes, over many draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) {
      const id = randomKafkaClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, "base64url")).toHaveLength(16);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it("draws again after a leading '-', the zero id and the metadata topic id, as Kafka's Uuid.randomUuid does", () => {
    const dash = new Uint8Array(16).fill(0xf8); // first six bits 111110: base64url '-'
    const zero = new Uint8Array(16);
    const metadata = new Uint8Array(16);
    metadata[15] = 1;
    const valid = new Uint8Array(16).fill(0x11);
    const draws = [dash, zero, metadata, valid];
    let calls = 0;
    const id = randomKafkaClusterId((size) => {
      expect(size).toBe(16);
      return draws[calls++]!;
    });
    expect(Buffer.from(dash).toString("base64url").startsWith("-")).toBe(true);
    expect(calls).toBe(4);
    expect(id).toBe(Buffer.from(valid).toString("base64url"));
  });
});
