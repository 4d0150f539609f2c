import { describe, expect, it } from "vitest";
import { isValidRequestId, REQUEST_ID_PATTERN } from "./jetstream.js";

// The gateway (HTTP header) and the wallet (gRPC metadata) both keep a caller's id only when
// this accepts it, so an id that reaches the wallet through the gateway is never replaced there.
describe("x-request-id pattern shared by the gateway and the wallet", () => {
  it("accepts 1-128 letters, digits, '.', '_', ':' and '-'", () => {
    for (const id of [
      "a",
      "req-123",
      "demo-a9042e-1",
      "corr.flow_1:2",
      "x".repeat(128),
      crypto.randomUUID(),
    ]) {
      expect(isValidRequestId(id), id).toBe(true);
    }
  });

  it("rejects empty, too long, spaces, control and other characters, and non-strings", () => {
    for (const id of ["", "x".repeat(129), "a b", "a\tb", "a\nb", "a/b", 'a"b', "é", "a{b}"]) {
      expect(isValidRequestId(id), JSON.stringify(id)).toBe(false);
    }
    expect(isValidRequestId(undefined)).toBe(false);
    expect(isValidRequestId(["req-1"])).toBe(false);
    expect(REQUEST_ID_PATTERN.test("req-1")).toBe(true);
  });
});
