import { describe, expect, it } from "vitest";
import { decodeHoldCursor, encodeHoldCursor } from "./holdCursor.js";

describe("hold cursor", () => {
  it("round-trips a position at millisecond precision", () => {
    const position = {
      createdAt: new Date("2026-01-02T03:04:05.678Z"),
      id: "0a1b2c3d-0000-4000-8000-00000000abcd",
    };
    expect(decodeHoldCursor(encodeHoldCursor(position))).toEqual(position);
    expect(decodeHoldCursor("")).toBeUndefined();
  });

  it("rejects cursors it did not issue", () => {
    for (const bad of [
      "x",
      "!!!",
      Buffer.from("v1.5").toString("base64url"),
      Buffer.from("h1.abc.id").toString("base64url"),
      Buffer.from("h1.5.").toString("base64url"),
      Buffer.from("h1.5.a b").toString("base64url"),
      "a".repeat(500),
    ]) {
      expect(() => decodeHoldCursor(bad), bad).toThrow(/cursor: is not a cursor/);
    }
  });
});
