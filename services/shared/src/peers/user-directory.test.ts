import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserSchema, UserService } from "../../../../gen/recsys/user/v1/user_service_pb.js";
import { UnavailableError } from "../domain-errors.js";
import { toConnectError } from "../errors.js";
import { dependencyError } from "./dependency-error.js";
import { GrpcUserDirectory, type GrpcUserDirectoryOptions } from "./user-directory.js";

/** A UserService with users "7", "a", "b", "c", an unreachable "down" and a failing "bug", counting GetUser calls. */
function directory(options: GrpcUserDirectoryOptions = {}): { directory: GrpcUserDirectory; calls: string[] } {
  const calls: string[] = [];
  const transport = createRouterTransport((router) => {
    router.service(UserService, {
      getUser(req) {
        calls.push(req.userId);
        if (req.userId === "down") throw new ConnectError("no route", Code.Unavailable);
        if (req.userId === "bug") throw new ConnectError("boom", Code.Internal);
        if (!["7", "a", "b", "c"].includes(req.userId)) throw new ConnectError(`user "${req.userId}" not found`, Code.NotFound);
        return { user: create(UserSchema, { userId: req.userId, username: `user ${req.userId}` }) };
      },
    });
  });
  return { directory: new GrpcUserDirectory(createClient(UserService, transport), options), calls };
}

describe("GrpcUserDirectory", () => {
  it("maps GetUser to exists: true, NOT_FOUND to false", async () => {
    const { directory: users } = directory();
    expect(await users.exists("7")).toBe(true);
    expect(await users.exists("8")).toBe(false);
  });

  it("turns an outage into UNAVAILABLE naming the user service, other failures into INTERNAL", async () => {
    const { directory: users } = directory();
    const down = await users.exists("down").catch((e: unknown) => e);
    expect(down).toBeInstanceOf(UnavailableError);
    expect(toConnectError(down)).toMatchObject({ code: Code.Unavailable, rawMessage: "user service is unavailable, retry later" });
    const bug = await users.exists("bug").catch((e: unknown) => e);
    expect(bug).toMatchObject({ message: "user service failed: Internal: boom" });
    expect(toConnectError(bug).code).toBe(Code.Internal);
  });

  it("caches found users, not missing ones, and shares concurrent look-ups of one id", async () => {
    const { directory: users, calls } = directory();
    expect(await Promise.all([users.exists("7"), users.exists("7")])).toEqual([true, true]);
    expect(await users.exists("7")).toBe(true);
    expect(await users.exists("8")).toBe(false);
    expect(await users.exists("8")).toBe(false);
    expect(calls).toEqual(["7", "8", "8"]);
    expect(await users.existing(["7", "a", "8", "a"])).toEqual(new Set(["7", "a"]));
    expect(calls).toEqual(["7", "8", "8", "a", "8"]);
  });

  it("expires a cached user cacheTtlMs after it was stored", async () => {
    const clock = { now: 1_000 };
    const { directory: users, calls } = directory({ cacheSize: 10, cacheTtlMs: 100, now: () => clock.now });
    await users.exists("7");
    clock.now = 1_099;
    await users.exists("7");
    expect(calls).toEqual(["7"]);
    clock.now = 1_101;
    await users.exists("7");
    expect(calls).toEqual(["7", "7"]);
  });

  it("evicts the least recently used user beyond cacheSize", async () => {
    const { directory: users, calls } = directory({ cacheSize: 2, cacheTtlMs: 60_000 });
    await users.exists("a");
    await users.exists("b");
    await users.exists("a"); // a is now the most recently used
    await users.exists("c"); // evicts b
    await users.exists("a");
    await users.exists("c");
    expect(calls).toEqual(["a", "b", "c"]);
    await users.exists("b");
    expect(calls).toEqual(["a", "b", "c", "b"]);
  });

  it("caches nothing when cacheSize is 0", async () => {
    const { directory: users, calls } = directory({ cacheSize: 0 });
    await users.exists("7");
    await users.exists("7");
    expect(calls).toEqual(["7", "7"]);
  });
});

describe("dependencyError", () => {
  it("treats UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED and refused connections as outages", () => {
    for (const code of [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Canceled]) {
      const err = dependencyError("product service", new ConnectError("x", code));
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err.message).toBe("product service is unavailable, retry later");
    }
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(dependencyError("user service", refused)).toBeInstanceOf(UnavailableError);
  });

  it("turns any other failure into a plain Error naming the dependency and the code, with the cause", () => {
    const cause = new ConnectError("page_size: too big", Code.InvalidArgument);
    const err = dependencyError("engagement service", cause);
    expect(err).not.toBeInstanceOf(UnavailableError);
    expect(err.message).toBe("engagement service failed: InvalidArgument: page_size: too big");
    expect(err.cause).toBe(cause);
  });
});
