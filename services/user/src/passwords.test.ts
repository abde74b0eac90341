import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyDummyPassword, verifyPassword } from "./passwords.js";

describe("scrypt password hashing", () => {
  it("encodes scrypt$N$r$p$salt$hash with the default cost and a 16-byte salt", async () => {
    const encoded = await hashPassword("correct horse battery");
    const parts = encoded.split("$");
    expect(parts.slice(0, 4)).toEqual(["scrypt", String(2 ** 15), "8", "1"]);
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
    expect(Buffer.from(parts[4] ?? "", "base64url")).toHaveLength(16);
    expect(Buffer.from(parts[5] ?? "", "base64url")).toHaveLength(32);
  });

  it("verifies the right password only, with a fresh salt per hash", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse battery", b)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("reads the cost from the stored string", async () => {
    const cheap = await hashPassword("pässwörd", { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifyPassword("pässwörd", cheap)).toBe(true);
    // NFC and NFD spellings of the same password match.
    expect(await verifyPassword("pa\u0308sswo\u0308rd", cheap)).toBe(true);
  });

  it("rejects malformed or absurd stored strings instead of throwing", async () => {
    const good = await hashPassword("password1", { N: 1024, r: 8, p: 1 });
    const [, , , , salt, hash] = good.split("$");
    for (const encoded of ["", "bcrypt$x", `scrypt$1000$8$1$${salt}$${hash}`, `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, `scrypt$1024$8$1$$${hash}`, `scrypt$1024$0$1$${salt}$${hash}`]) {
      expect(await verifyPassword("password1", encoded)).toBe(false);
    }
  });

  it("is memory-hard: the default cost needs 128·N·r = 32 MiB per hash", () => {
    const { N, r, p } = DEFAULT_SCRYPT_PARAMS;
    expect(128 * N * r).toBe(32 * 1024 * 1024);
    // Node's scrypt refuses to run the default cost within 16 MiB of memory.
    expect(() => scryptSync("password", "salt-salt-salt-1", 32, { N, r, p, maxmem: 16 * 1024 * 1024 })).toThrow(/memory/i);
  });

  it("spends a real verification on the dummy path and always fails", async () => {
    expect(await verifyDummyPassword("anything")).toBe(false);
  });
});
