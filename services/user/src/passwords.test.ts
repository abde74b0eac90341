import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ARGON2_PARAMS,
  hashPassword,
  hashPasswordLegacyScrypt,
  LEGACY_SCRYPT_PARAMS,
  needsRehash,
  verifyDummyPassword,
  verifyPassword,
} from "./passwords.js";

/** A cheap cost for tests that are not about the cost. */
const CHEAP = { memoryKiB: 1024, passes: 1, parallelism: 1 };

describe("Argon2id password hashing", () => {
  it("hashes with OWASP's Argon2id parameters (m = 19 MiB, t = 2, p = 1), a 16-byte salt and a 32-byte hash", async () => {
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ memoryKiB: 19_456, passes: 2, parallelism: 1 });
    const encoded = await hashPassword("correct horse battery");
    const [, algorithm, version, params, salt, hash] = encoded.split("$");
    expect([algorithm, version, params]).toEqual(["argon2id", "v=19", "m=19456,t=2,p=1"]);
    expect(Buffer.from(salt ?? "", "base64")).toHaveLength(16);
    expect(Buffer.from(hash ?? "", "base64")).toHaveLength(32);
    expect(needsRehash(encoded)).toBe(false);
  });

  it("verifies the right password only, with a fresh salt per hash", async () => {
    const a = await hashPassword("correct horse battery", CHEAP);
    const b = await hashPassword("correct horse battery", CHEAP);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse battery", b)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("reads the cost from the stored string and matches NFC and NFD spellings", async () => {
    const cheap = await hashPassword("pässwörd", CHEAP);
    expect(cheap.startsWith("$argon2id$v=19$m=1024,t=1,p=1$")).toBe(true);
    expect(await verifyPassword("pässwörd", cheap)).toBe(true);
    expect(await verifyPassword("pa\u0308sswo\u0308rd", cheap)).toBe(true);
  });

  it("asks for a rehash of legacy scrypt hashes and of Argon2 hashes at another cost", async () => {
    expect(needsRehash(await hashPassword("password1", CHEAP))).toBe(true);
    expect(needsRehash(await hashPassword("password1", CHEAP), CHEAP)).toBe(false);
    expect(needsRehash(await hashPasswordLegacyScrypt("password1", { N: 1024, r: 8, p: 1 }))).toBe(true);
    expect(needsRehash("garbage")).toBe(true);
  });

  it("rejects malformed or absurd stored strings instead of throwing", async () => {
    const good = await hashPassword("password1", CHEAP);
    const [, , , , salt, hash] = good.split("$");
    for (const encoded of [
      "",
      "bcrypt$x",
      "$argon2id$",
      `$argon2id$v=19$m=4194304,t=1,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=1024,t=1000,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=1024,t=1,p=1$$${hash}`,
      `$argon2id$v=19$m=1024,t=1,p=1$${salt}$`,
    ]) {
      expect(await verifyPassword("password1", encoded), encoded).toBe(false);
    }
  });

  it("spends a real verification on the dummy path and always fails", async () => {
    expect(await verifyDummyPassword("anything", CHEAP)).toBe(false);
  });
});

describe("legacy scrypt hashes (scrypt$N$r$p$salt$hash, before Argon2id)", () => {
  it("keep verifying with the parameters they carry", async () => {
    expect(LEGACY_SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
    const legacy = await hashPasswordLegacyScrypt("correct horse battery");
    expect(legacy.split("$").slice(0, 4)).toEqual(["scrypt", "32768", "8", "1"]);
    expect(await verifyPassword("correct horse battery", legacy)).toBe(true);
    expect(await verifyPassword("correct horse batterY", legacy)).toBe(false);
    // NFC and NFD spellings of the same password match, as they did.
    const cheap = await hashPasswordLegacyScrypt("pässwörd", { N: 1024, r: 8, p: 1 });
    expect(await verifyPassword("pa\u0308sswo\u0308rd", cheap)).toBe(true);
  });

  it("verify a hash computed independently with Node's scrypt (the stored format is unchanged)", async () => {
    const salt = Buffer.from("0123456789abcdef");
    const key = scryptSync("old password", salt, 32, { N: 1024, r: 8, p: 1 });
    const encoded = `scrypt$1024$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    expect(await verifyPassword("old password", encoded)).toBe(true);
    expect(await verifyPassword("old passworD", encoded)).toBe(false);
  });

  it("reject malformed or absurd parameters", async () => {
    const good = await hashPasswordLegacyScrypt("password1", { N: 1024, r: 8, p: 1 });
    const [, , , , salt, hash] = good.split("$");
    for (const encoded of [`scrypt$1000$8$1$${salt}$${hash}`, `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, `scrypt$1024$8$1$$${hash}`, `scrypt$1024$0$1$${salt}$${hash}`]) {
      expect(await verifyPassword("password1", encoded)).toBe(false);
    }
  });
});
