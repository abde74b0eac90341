import { describe, expect, it } from "vitest";
import { clientAddress, UNKNOWN_CLIENT_ADDRESS } from "./client-address.js";

const headers = (h: Record<string, string>) => new Headers(h);

describe("clientAddress", () => {
  it("prefers Envoy's x-envoy-external-address", () => {
    expect(clientAddress(headers({ "x-envoy-external-address": "203.0.113.9", "x-forwarded-for": "10.1.1.1, 203.0.113.8" }), "127.0.0.1:4000")).toBe("203.0.113.9");
  });

  it("else takes the last x-forwarded-for entry (the one Envoy appended), ignoring what the client put before it", () => {
    expect(clientAddress(headers({ "x-forwarded-for": "10.1.1.1, 198.51.100.4" }), "127.0.0.1:4000")).toBe("198.51.100.4");
    expect(clientAddress(headers({ "x-forwarded-for": "2001:db8::1" }))).toBe("2001:db8::1");
  });

  it("else the gRPC peer, without its port or brackets", () => {
    expect(clientAddress(headers({}), "127.0.0.5:51234")).toBe("127.0.0.5");
    expect(clientAddress(headers({}), "[::1]:51234")).toBe("::1");
    expect(clientAddress(headers({}), "ipv4:10.0.0.2:80")).toBe("10.0.0.2");
  });

  it("skips values that are not IP addresses", () => {
    expect(clientAddress(headers({ "x-envoy-external-address": "evil", "x-forwarded-for": "1.2.3.4, not-an-ip" }), "10.9.9.9:1")).toBe("10.9.9.9");
    expect(clientAddress(headers({}), "unix:/tmp/socket")).toBe(UNKNOWN_CLIENT_ADDRESS);
    expect(clientAddress(headers({}))).toBe(UNKNOWN_CLIENT_ADDRESS);
  });
});
