import { describe, expect, it } from "vitest";
import { decodeCursor, decodeHoldCursor, encodeCursor, encodeHoldCursor } from "./cursor.js";
import { ValidationError } from "./errors.js";

const b64 = (text: string) => Buffer.from(text).toString("base64url");

describe("cursor", () => {
  it("cursor - round-trips a wallet version and is opaque", () => {
    const c = encodeCursor(42n);
    expect(c).not.toContain("42");
    expect(decodeCursor(c)).toBe(42n);
    expect(decodeCursor("")).toBeUndefined();
    expect(decodeCursor(encodeCursor(9223372036854775807n))).toBe(9223372036854775807n);
  });

  it("cursor - a holds cursor round-trips a position at millisecond precision", () => {
    const position = {
      createdAt: new Date("2026-01-02T03:04:05.678Z"),
      id: "0a1b2c3d-0000-4000-8000-00000000abcd",
    };
    expect(decodeHoldCursor(encodeHoldCursor(position))).toEqual(position);
    expect(decodeHoldCursor("")).toBeUndefined();
  });

  it.each([
    {
      list: "history",
      decode: decodeCursor,
      own: [
        b64("v1.-1"),
        b64("v1.0"),
        // Above int64: PostgreSQL would fail on it and MongoDB would wrap it to a negative Long.
        b64("v1.9999999999999999999"),
        b64("v1.9223372036854775808"),
        b64(`h1.${Date.now()}.0a1b2c3d`),
      ],
    },
    {
      list: "holds",
      decode: decodeHoldCursor,
      own: [b64("h1.abc.id"), b64("h1.5."), b64("h1.5.a b"), b64("h1.8640000000000001.id"), b64("v1.5")],
    },
  ])("cursor - a $list cursor this service did not issue is VALIDATION_FAILED", ({ decode, own }) => {
    const anyList = ["x", "!!!", "garbage!", "507f1f77bcf86cd799439011", "a".repeat(500)];
    for (const bad of [...anyList, ...own]) {
      expect(() => decode(bad), bad).toThrow(ValidationError);
      expect(() => decode(bad), bad).toThrow("cursor: is not a cursor this service issued");
    }
  });
});
