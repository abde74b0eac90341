import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, UnavailableError } from "./domain-errors.js";
import { toConnectError } from "./errors.js";

describe("toConnectError", () => {
  it("maps each domain error to its code, keeping its message", () => {
    const cases: [Error, Code, string][] = [
      [new InvalidArgumentError("weights.relevance", "must be between 0 and 1, got 2"), Code.InvalidArgument, "weights.relevance: must be between 0 and 1, got 2"],
      [new NotFoundError("user", "ghost"), Code.NotFound, 'user "ghost" not found'],
      [new AlreadyExistsError('username "ann" is taken'), Code.AlreadyExists, 'username "ann" is taken'],
      [new UnavailableError("trending store"), Code.Unavailable, "trending store is unavailable, retry later"],
    ];
    for (const [err, code, message] of cases) {
      const mapped = toConnectError(err, "a backing service");
      expect(mapped.code).toBe(code);
      expect(mapped.rawMessage).toBe(message);
      expect(mapped.cause).toBe(err);
    }
  });

  it("passes ConnectErrors through, names the dependency of an outage and hides anything else as INTERNAL", () => {
    const connect = new ConnectError("nope", Code.PermissionDenied);
    expect(toConnectError(connect)).toBe(connect);
    const outage = toConnectError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }), "catalog database");
    expect(outage.code).toBe(Code.Unavailable);
    expect(outage.rawMessage).toBe("catalog database is unavailable, retry later");
    const bug = toConnectError(new TypeError("x is undefined"));
    expect(bug.code).toBe(Code.Internal);
    expect(bug.rawMessage).toBe("internal error");
  });
});
