import { describe, expect, it } from "vitest";
import type { StoredUserState, UserStateReadiness } from "../../storage/user-state/redis-user-state-store.js";
import type { ProfileSource } from "../domain/profile-source.js";
import type { UserProfile } from "../domain/user-profile.js";
import { silentLogger } from "../testing/fakes.js";
import { StoredProfileSource, type UserStateReader } from "./stored-profile-source.js";

/** A reader over a Map, counting loads, that can be told to be not ready, fail or hang. */
class MapReader implements UserStateReader {
  readiness: UserStateReadiness = "ready";
  mode: "ok" | "fail" | "hang" = "ok";
  loads = 0;
  readonly states = new Map<string, StoredUserState>();

  async version(userId: string): Promise<{ readiness: UserStateReadiness; version: string }> {
    if (this.mode === "fail") throw new Error("connection refused");
    if (this.mode === "hang") return new Promise(() => undefined);
    return { readiness: this.readiness, version: this.states.get(userId)?.version ?? "0" };
  }

  async load(userId: string, positives: number): Promise<StoredUserState> {
    this.loads += 1;
    const s = this.states.get(userId) ?? { version: "0", positives: [], seen: [] };
    return { ...s, positives: s.positives.slice(0, positives) };
  }
}

const fallbackProfile: UserProfile = { positives: ["fallback"], seen: new Set(["fallback"]) };
const fallback: ProfileSource = { profile: async () => fallbackProfile };

function source(reader: MapReader, timeoutMs = 50): StoredProfileSource {
  return new StoredProfileSource(reader, fallback, { maxPositives: 2, cacheSize: 10, timeoutMs, logger: silentLogger() });
}

describe("StoredProfileSource", () => {
  it("reads positives and seen products from the store, and again only when the version moves", async () => {
    const reader = new MapReader();
    reader.states.set("u1", { version: "3", positives: ["a", "b", "c"], seen: ["a", "b", "c", "d"] });
    const profiles = source(reader);
    const first = await profiles.profile("u1");
    expect(first.positives).toEqual(["a", "b"]);
    expect([...first.seen]).toEqual(["a", "b", "c", "d"]);
    await profiles.profile("u1");
    expect(reader.loads).toBe(1);
    reader.states.set("u1", { version: "4", positives: ["e", "a"], seen: ["a", "b", "c", "d", "e"] });
    expect((await profiles.profile("u1")).positives).toEqual(["e", "a"]);
    expect(reader.loads).toBe(2);
  });

  it("gives a user without state an empty profile without loading", async () => {
    const reader = new MapReader();
    const profile = await source(reader).profile("nobody");
    expect(profile.positives).toEqual([]);
    expect(profile.seen.size).toBe(0);
    expect(reader.loads).toBe(0);
  });

  it.each(["missing", "stale"] as const)("falls back to the history while the store is %s", async (readiness) => {
    const reader = new MapReader();
    reader.readiness = readiness;
    reader.states.set("u1", { version: "1", positives: ["a"], seen: ["a"] });
    expect(await source(reader).profile("u1")).toBe(fallbackProfile);
  });

  it("falls back when Redis fails, and when it does not answer within the timeout", async () => {
    const reader = new MapReader();
    reader.mode = "fail";
    const profiles = source(reader, 30);
    expect(await profiles.profile("u1")).toBe(fallbackProfile);
    reader.mode = "hang";
    const started = Date.now();
    expect(await profiles.profile("u1")).toBe(fallbackProfile);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    reader.mode = "ok";
    reader.states.set("u1", { version: "1", positives: ["a"], seen: ["a"] });
    expect((await profiles.profile("u1")).positives).toEqual(["a"]);
  });
});
